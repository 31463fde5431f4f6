using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ResourceApi.Graph;
using ResourceApi.Tests.Infrastructure;
using Shared.Protocol;

namespace ResourceApi.Tests;

/// <summary>
/// Issue 14 points 4 and 5: GraphQL over HTTP media types and status codes, batching refused clearly, Apollo's
/// automatic persisted queries, and the parsed-and-validated document cache.
/// </summary>
public sealed class GraphQLOverHttpTests
{
    private const string GraphQLResponseJson = "application/graphql-response+json";

    private static async Task<(HttpResponseMessage Response, GraphQLCall Call)> PostAsync(string body, string? accept,
        string scope = Scopes.Admin)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json")
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await Fixture.TokenAsync(scope));
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        var response = await Fixture.ApiClient.SendAsync(request);
        return (response, await GraphQLCall.ReadAsync(response));
    }

    private static string Body(string query, object? extensions = null) => JsonSerializer.Serialize(new { query, extensions });

    [TestCase("{ counter(metric: \"order_count\") { value } }", HttpStatusCode.OK, TestName = "Graphql_response_json_executed_is_200")]
    [TestCase("{ counter(metric: ", HttpStatusCode.BadRequest, TestName = "Graphql_response_json_syntax_error_is_400")]
    [TestCase("{ nosuchfield }", HttpStatusCode.BadRequest, TestName = "Graphql_response_json_validation_error_is_400")]
    [TestCase("query ($m: String!) { counter(metric: $m) { value } }", HttpStatusCode.BadRequest,
        TestName = "Graphql_response_json_missing_variable_is_400")]
    public async Task Graphql_response_json_uses_the_specifications_status_codes(string query, HttpStatusCode expected)
    {
        var (response, call) = await PostAsync(Body(query), GraphQLResponseJson);
        using (response)
        {
            Assert.Multiple(() =>
            {
                Assert.That(call.Status, Is.EqualTo(expected), call.ToString());
                Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo(GraphQLResponseJson));
            });
        }
    }

    [Test]
    public async Task Graphql_response_json_field_error_is_200_with_data()
    {
        // Every root field is non-null, so a failed one nulls data (GraphQL spec s.6.4.4): still executed, so 2xx.
        var (response, call) = await PostAsync(Body("{ counter(metric: \"no_such_metric\") { value } }"), GraphQLResponseJson);
        using (response)
        {
            Assert.Multiple(() =>
            {
                Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
                Assert.That(call.HasErrors, Is.True);
                Assert.That(call.Data.ValueKind, Is.EqualTo(JsonValueKind.Null), "data is present, and null");
            });
        }
    }

    [TestCase(null)]
    [TestCase("application/json")]
    [TestCase("*/*")]
    public async Task Other_clients_get_application_json_as_before(string? accept)
    {
        var (response, call) = await PostAsync(Body("{ counter(metric: \"order_count\") { value } }"), accept);
        using (response)
        {
            Assert.Multiple(() =>
            {
                Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK));
                Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
            });
        }
    }

    [Test]
    public async Task Batched_request_is_refused_clearly()
    {
        var (response, call) = await PostAsync("[" + Body("{ __typename }") + "," + Body("{ __typename }") + "]", null);
        using (response)
        {
            Assert.Multiple(() =>
            {
                Assert.That(call.Status, Is.EqualTo(HttpStatusCode.BadRequest));
                Assert.That(call.FirstErrorMessage, Does.Contain("batched requests"));
            });
        }
    }

    [Test]
    public async Task Automatic_persisted_query_not_found_then_registered_then_served_by_hash()
    {
        var query = "{ counter(metric: \"order_count\") { value } } # apq " + Guid.NewGuid();
        var hash = PersistedQueries.Sha256Hex(query);
        var persisted = new { persistedQuery = new { version = 1, sha256Hash = hash } };

        var (r1, unknown) = await PostAsync(JsonSerializer.Serialize(new { extensions = persisted }), null);
        var (r2, registered) = await PostAsync(Body(query, persisted), null);
        var (r3, byHash) = await PostAsync(JsonSerializer.Serialize(new { extensions = persisted }), null);
        using var get = new HttpRequestMessage(HttpMethod.Get, "/graphql?extensions=" +
            Uri.EscapeDataString(JsonSerializer.Serialize(persisted)));
        get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await Fixture.TokenAsync(Scopes.Admin));
        using var r4 = await Fixture.ApiClient.SendAsync(get);
        var overGet = await GraphQLCall.ReadAsync(r4);
        r1.Dispose();
        r2.Dispose();
        r3.Dispose();
        Assert.Multiple(() =>
        {
            Assert.That(unknown.Status, Is.EqualTo(HttpStatusCode.OK), "Apollo clients read PersistedQueryNotFound from a 200");
            Assert.That(unknown.FirstErrorMessage, Is.EqualTo("PersistedQueryNotFound"));
            Assert.That(unknown.Errors[0].GetProperty("extensions").GetProperty("code").GetString(),
                Is.EqualTo("PERSISTED_QUERY_NOT_FOUND"));
            Assert.That(registered.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo("100000"));
            Assert.That(byHash.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo("100000"));
            Assert.That(overGet.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo("100000"), overGet.ToString());
        });
    }

    [Test]
    public async Task Persisted_query_whose_hash_does_not_match_is_refused()
    {
        var persisted = new { persistedQuery = new { version = 1, sha256Hash = PersistedQueries.Sha256Hex("{ __typename }") } };
        var (response, call) = await PostAsync(Body("{ counter(metric: \"order_count\") { value } }", persisted), GraphQLResponseJson);
        using (response)
        {
            Assert.Multiple(() =>
            {
                Assert.That(call.Status, Is.EqualTo(HttpStatusCode.BadRequest));
                Assert.That(call.FirstErrorMessage, Does.Contain("does not match"));
            });
        }
    }

    [Test]
    public async Task Repeated_document_is_parsed_and_validated_once()
    {
        var documents = Fixture.Api.Services.GetRequiredService<PreparedDocuments>();
        var query = "{ metrics(first: 1) { edges { cursor } } } # cache " + Guid.NewGuid();
        var misses = documents.Misses;
        for (var i = 0; i < 5; i++)
        {
            var (response, call) = await PostAsync(Body(query), null);
            response.Dispose();
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
        }

        Assert.That(documents.Misses - misses, Is.EqualTo(1), "one preparation, four cache hits");
    }
}
