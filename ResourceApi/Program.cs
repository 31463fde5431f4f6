var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/healthz", () => TypedResults.Text("ok"));
app.Run();

// Exists so tests can host the real application with WebApplicationFactory<Program>.
public partial class Program;
