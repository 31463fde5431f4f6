// Exists so tests can host the real application with WebApplicationFactory<Program>.
public partial class Program;
