using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using ResourceApi.Tests.Infrastructure;
using Shared.Protocol;
using TestSupport;

namespace ResourceApi.Tests;

/// <summary>Limits and malformed input: each is a 4xx with a GraphQL errors body, never a 500.</summary>
public sealed class QuerySafetyTests
{
    private static async Task<GraphQLCall> RawAsync(HttpMethod method, string uri, string? body, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, uri);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await Fixture.TokenAsync(Scopes.Admin));
        using var response = await Fixture.ApiClient.SendAsync(request);
        return await GraphQLCall.ReadAsync(response);
    }

    [TestCase("{\"query\": \"{ counter(metric: ", "application/json", TestName = "Truncated_json_is_400")]
    [TestCase("not json at all", "application/json", TestName = "Body_that_is_not_json_is_400")]
    [TestCase("{\"query\": \"{ counter(metric: \\\"order_count\\\") { value }\"}", "application/json", TestName = "Graphql_syntax_error_is_400")]
    [TestCase("{\"query\": \"{ nosuchfield }\"}", "application/json", TestName = "Unknown_field_is_400")]
    [TestCase("{\"query\": \"\"}", "application/json", TestName = "Empty_query_is_400")]
    [TestCase("{\"query\": 42}", "application/json", TestName = "Query_that_is_not_a_string_is_400")]
    [TestCase("{\"query\": \"{ __typename }\", \"variables\": [1]}", "application/json", TestName = "Variables_that_are_not_an_object_is_400")]
    [TestCase("query={ __typename }", "application/x-www-form-urlencoded", TestName = "Form_content_type_is_400")]
    [TestCase("{ __typename }", "text/plain", TestName = "Text_content_type_is_400")]
    public async Task Malformed_request_is_400_with_errors(string body, string contentType)
    {
        var call = await RawAsync(HttpMethod.Post, "/graphql", body, contentType);
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.BadRequest), call.ToString());
            Assert.That(call.Errors, Is.Not.Empty);
        });
    }

    /// <summary>Issue 14 point 6: the seed flow's request 000 as first written selects objects without their fields.</summary>
    [Test]
    public async Task Seed_request_000_as_written_keeps_a_clear_validation_error()
    {
        var call = await Fixture.QueryAsync("{getAllDataSources (first:10) { pageInfo edges }}", await Fixture.TokenAsync(Scopes.Admin));
        var messages = call.Errors.Select(e => e.GetProperty("message").GetString()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.BadRequest), call.ToString());
            Assert.That(messages, Is.EquivalentTo(new[]
            {
                "Field pageInfo of type PageInfo! must have a sub selection",
                "Field edges of type [DataSourceEdge] must have a sub selection",
            }));
        });
    }

    [Test]
    public async Task Oversized_body_is_413_with_errors()
    {
        var call = await RawAsync(HttpMethod.Post, "/graphql", "{\"query\": \"{ __typename }\", \"x\": \"" + new string('a', 70_000) + "\"}");
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
            Assert.That(call.Errors, Is.Not.Empty);
        });
    }

    [Test]
    public async Task Query_deeper_than_the_maximum_is_refused()
    {
        var nested = "{ __schema { types { fields { type" + string.Concat(Enumerable.Repeat(" { ofType", 14)) + " { name }" + new string('}', 14) + " } } } }";
        var call = await Fixture.QueryAsync(nested, await Fixture.TokenAsync(Scopes.Admin));
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.BadRequest), call.ToString());
            Assert.That(call.FirstErrorMessage, Does.Contain("depth"));
        });
    }

    [Test]
    public async Task Document_nested_beyond_the_parsers_limit_is_400_not_500()
    {
        var nested = string.Concat(Enumerable.Repeat("{ dataPools(first: 100) { edges { node ", 40)) + "{ uniqueName }" +
                     new string('}', 40 * 3);
        var call = await Fixture.QueryAsync(nested, await Fixture.TokenAsync(Scopes.Admin));
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.BadRequest), call.ToString());
            Assert.That(call.FirstErrorMessage, Is.EqualTo("the document nests deeper than the parser allows"));
        });
    }

    [Test]
    public async Task Query_more_complex_than_the_maximum_is_refused()
    {
        var aliases = string.Concat(Enumerable.Range(0, 30).Select(i =>
            $" a{i}: dataGrid(dataPool: \"orders\", first: 100) {{ headers edges {{ cursor node {{ values }} }} }}"));
        var call = await Fixture.QueryAsync("{" + aliases + " }", await Fixture.TokenAsync(Scopes.Admin));
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.BadRequest), call.ToString());
            Assert.That(call.FirstErrorMessage, Does.Contain("too complex"));
        });
    }

    [TestCase(0)]
    [TestCase(101)]
    public async Task First_outside_the_page_size_limit_is_an_error(int first)
    {
        var call = await Fixture.QueryAsync($"{{ dataGrid(dataPool: \"orders\", first: {first}) {{ headers }} }}", await Fixture.TokenAsync(Scopes.Admin));
        Assert.That(call.FirstErrorMessage, Is.EqualTo("first must be between 1 and 100"));
    }

    [Test]
    public async Task A_nul_in_a_string_argument_is_the_callers_mistake_not_an_outage()
    {
        var call = await Fixture.QueryAsync("{ counter(metric: \"a\\u0000b\") { value } }", await Fixture.TokenAsync(Scopes.MetricQuery));
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.Not.EqualTo(HttpStatusCode.ServiceUnavailable), call.Body.ToString());
            Assert.That(call.Errors.Select(e => e.GetProperty("extensions").GetProperty("code").GetString()),
                Has.None.EqualTo("TEMPORARILY_UNAVAILABLE"), call.Body.ToString());
        });
    }

    [Test]
    public async Task Forged_cursor_is_an_error_not_a_500()
    {
        var call = await Fixture.QueryAsync("{ metrics(first: 1, after: \"bm9wZQ==\") { edges { cursor } } }", await Fixture.TokenAsync(Scopes.Admin));
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(call.FirstErrorMessage, Is.EqualTo("after is not a cursor this API returned"));
        });
    }

    [Test]
    public async Task Get_runs_queries()
    {
        var call = await RawAsync(HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString("{ counter(metric: \"order_count\") { value } }"), null);
        Assert.That(call.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo("100000"));
    }

    [Test]
    public async Task Get_refuses_mutations_with_405()
    {
        var call = await RawAsync(HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString($"mutation {{ deleteMetric(id: \"{Guid.NewGuid()}\") }}"), null);
        Assert.That(call.Status, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
    }

    [Test]
    public async Task Every_database_session_has_a_statement_timeout()
    {
        var db = Fixture.Api.Services.GetRequiredService<NpgsqlDataSource>();
        await using var command = db.CreateCommand("SHOW statement_timeout");
        Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo("5s"));
    }

    /// <summary>
    /// Issue 18 point 2: with a direct connection configured, DATABASE_URL is taken to be pgbouncer, which refuses the
    /// <c>-c statement_timeout</c> startup option; the data queries are still bounded, by their own transactions.
    /// </summary>
    [Test]
    public async Task Behind_a_pooler_no_startup_option_is_sent_and_data_queries_still_time_out()
    {
        await using var api = new ResourceApiHost(Fixture.ConnectionString, Fixture.Issuer.ToString().TrimEnd('/'),
            s => s.Configure<ResourceApiOptions>(o => o.StatementTimeoutMilliseconds = 1),
            new Dictionary<string, string?> { ["DIRECT_DATABASE_URL"] = Fixture.ConnectionString });
        using var client = api.CreateClient();
        var call = await GraphQLCall.PostAsync(client, "{ timeSeries(metric: \"revenue\", granularity: HOUR, timeRange: " +
            "{ start: \"2024-01-01T00:00:00Z\", stop: \"2024-02-01T00:00:00Z\" }) { labels } }", await Fixture.TokenAsync(Scopes.Admin));
        var options = new NpgsqlConnectionStringBuilder(api.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString).Options;
        Assert.Multiple(() =>
        {
            Assert.That(options, Is.Null.Or.Empty);
            Assert.That(call.FirstErrorMessage, Does.Contain("statement timeout"));
        });
    }

    [Test]
    public async Task Statement_timeout_becomes_a_graphql_error()
    {
        await using var api = new ResourceApiHost(Fixture.ConnectionString, Fixture.Issuer, s => s.Configure<ResourceApiOptions>(o => o.StatementTimeoutMilliseconds = 1));
        using var client = api.CreateClient();
        var call = await GraphQLCall.PostAsync(client, "{ timeSeries(metric: \"revenue\", granularity: HOUR, timeRange: { start: \"2024-01-01T00:00:00Z\", stop: \"2024-02-01T00:00:00Z\" }) { labels } }",
            await Fixture.TokenAsync(Scopes.Admin));
        Assert.That(call.FirstErrorMessage, Does.Contain("statement timeout"));
    }
}
