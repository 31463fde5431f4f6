using System.Net;
using System.Text.Json;
using ResourceApi.Tests.Infrastructure;
using Shared.Protocol;

namespace ResourceApi.Tests;

/// <summary>
/// Issue 14 point 1: what GraphQL tools send first is answered, and builds into a client schema with the real
/// graphql-js; introspection stays bounded and needs a token with an API scope.
/// </summary>
public sealed class IntrospectionTests
{
    [TestCase("v16", TestName = "GraphQL_js_16_getIntrospectionQuery_is_answered_and_builds_a_client_schema")]
    [TestCase("v16-all", TestName = "GraphQL_js_16_getIntrospectionQuery_with_every_option_is_answered_and_builds_a_client_schema")]
    [TestCase("v17-deep", TestName = "GraphQL_js_17_getIntrospectionQuery_with_type_refs_9_deep_is_answered_and_builds_a_client_schema")]
    public async Task Standard_introspection_builds_a_client_schema(string variant)
    {
        var query = await GraphQLJs.RunAsync("", "query", variant);
        var call = await Fixture.QueryAsync(query, await Fixture.TokenAsync(Scopes.MetricRead));
        Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
        Assert.That(call.HasErrors, Is.False, call.ToString());

        using var built = JsonDocument.Parse(await GraphQLJs.RunAsync(call.Body.GetRawText(), "build", variant));
        var summary = built.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(summary.GetProperty("valid").GetBoolean(), Is.True, summary.GetRawText());
            Assert.That(summary.GetProperty("queryType").GetString(), Is.EqualTo("Query"));
            Assert.That(summary.GetProperty("mutationType").GetString(), Is.EqualTo("Mutation"));
            Assert.That(summary.GetProperty("queryFields").EnumerateArray().Select(f => f.GetString()),
                Does.Contain("counter").And.Contain("dataGrid"));
            Assert.That(summary.GetProperty("counterDescription").GetString(), Does.EndWith("Requires scope: metric:query or admin."));
        });
    }

    [Test]
    public async Task Introspection_repeated_by_aliases_is_refused_as_too_large()
    {
        var standard = await GraphQLJs.RunAsync("", "query", "v16");
        // The standard query's fragments, its selection repeated under 3 aliases: same depth, 3 times the size.
        var fragments = standard.IndexOf("fragment", StringComparison.Ordinal);
        var body = standard[(standard.IndexOf("__schema", StringComparison.Ordinal) + "__schema".Length)..fragments].Trim()[..^1].Trim();
        var aliased = "query {" + string.Concat(Enumerable.Range(0, 3).Select(i => $" s{i}: __schema {body}")) + " }" +
            standard[fragments..];
        var call = await Fixture.QueryAsync(aliased, await Fixture.TokenAsync(Scopes.MetricRead));
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.BadRequest), call.ToString());
            Assert.That(call.FirstErrorMessage, Does.Contain("too complex"));
        });
    }

    [Test]
    public async Task Introspection_needs_a_token_with_an_api_scope()
    {
        var userOnly = TokenForge.Create(Fixture.TokenService, Fixture.Issuer, scope: "openid profile");
        var schema = await Fixture.QueryAsync("{ __schema { queryType { name } } }", userOnly);
        var type = await Fixture.QueryAsync("{ __type(name: \"Query\") { name } }", userOnly);
        var typename = await Fixture.QueryAsync("{ __typename }", userOnly);
        var anonymous = await Fixture.QueryAsync("{ __schema { queryType { name } } }", null);
        Assert.Multiple(() =>
        {
            Assert.That(schema.Status, Is.EqualTo(HttpStatusCode.Forbidden), schema.ToString());
            Assert.That(schema.FirstErrorMessage, Does.Contain("Query.__schema"));
            Assert.That(type.Status, Is.EqualTo(HttpStatusCode.Forbidden), type.ToString());
            Assert.That(typename.Status, Is.EqualTo(HttpStatusCode.OK), typename.ToString());
            Assert.That(anonymous.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }

    [Test]
    public async Task Ordinary_queries_keep_the_ordinary_depth_limit()
    {
        // 16 levels of ordinary fields through fragments is not possible in this schema, so nest introspection under an
        // ordinary root: the operation is no longer introspection only, and the ordinary limit (15) applies.
        var nested = "{ metrics(first: 1) { edges { cursor } } __schema { types { fields { type" +
            string.Concat(Enumerable.Repeat(" { ofType", 11)) +
            " { name }" + new string('}', 11) + " } } } }";
        var call = await Fixture.QueryAsync(nested, await Fixture.TokenAsync(Scopes.MetricRead));
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.BadRequest), call.ToString());
            Assert.That(call.FirstErrorMessage, Does.Contain("maximum allowed on this endpoint is 15"));
        });
    }
}
