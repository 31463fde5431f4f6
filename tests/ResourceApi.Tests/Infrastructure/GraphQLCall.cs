using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ResourceApi.Tests.Infrastructure;

/// <summary>One GraphQL response: status, the WWW-Authenticate header and the JSON body.</summary>
public sealed record GraphQLCall(HttpStatusCode Status, string? WwwAuthenticate, JsonElement Body)
{
    public bool HasErrors => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("errors", out _);

    public JsonElement Data => Body.GetProperty("data");

    public IReadOnlyList<JsonElement> Errors => HasErrors ? Body.GetProperty("errors").EnumerateArray().ToList() : [];

    public string FirstErrorMessage => Errors.Count == 0 ? "" : Errors[0].GetProperty("message").GetString()!;

    public static Task<GraphQLCall> PostAsync(HttpClient client, string query, string? bearer, object? variables = null) =>
        SendAsync(client, query, bearer is null ? null : new AuthenticationHeaderValue("Bearer", bearer), variables);

    public static async Task<GraphQLCall> SendAsync(HttpClient client, string query, AuthenticationHeaderValue? authorization, object? variables = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query, variables }) };
        request.Headers.Authorization = authorization;
        using var response = await client.SendAsync(request);
        return await ReadAsync(response);
    }

    public static async Task<GraphQLCall> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        var challenge = response.Headers.TryGetValues("WWW-Authenticate", out var values) ? string.Join(", ", values) : null;
        return new GraphQLCall(response.StatusCode, challenge, body);
    }

    public override string ToString() => $"{(int)Status} {Body}";
}
