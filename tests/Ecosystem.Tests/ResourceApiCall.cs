using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Ecosystem.Tests;

/// <summary>One GraphQL call to the ResourceApi with a bearer token, as any caller would make it.</summary>
public static class ResourceApiCall
{
    /// <summary>Needs metric:read (or admin).</summary>
    public const string ListMetrics = "{ metrics(first: 3) { edges { node { id uniqueName } } } }";

    public static async Task<(HttpStatusCode Status, JsonElement Body)> QueryAsync(HttpClient api, string accessToken, string query = ListMetrics)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await api.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static int MetricCount(JsonElement body) => body.GetProperty("data").GetProperty("metrics").GetProperty("edges").GetArrayLength();
}
