using System.Text.Json;
using Dapper;
using Npgsql;
using TestSupport;
using TokenService.Cli;
using TokenService.Crypto;

namespace TokenService.Tests.Users;

/// <summary>`TokenService users create|delete|set-password`, run in-process as the binary runs it.</summary>
public sealed class UsersCommandTests
{
    private const string Secret = "a long enough password";
    private string database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync() => database = await PostgresServer.CreateDatabaseAsync("users");

    private async Task<(int Code, string Out, string Error)> RunAsync(string? stdin, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await OpsCli.RunAsync(args, stdout, stderr, new Dictionary<string, string?> { ["DATABASE_URL"] = database },
            new StringReader(stdin ?? ""));
        return (code, stdout.ToString(), stderr.ToString());
    }

    private async Task<string?> PasswordHashAsync(string username)
    {
        await using var connection = new NpgsqlConnection(database);
        return await connection.ExecuteScalarAsync<string?>("SELECT password_hash FROM users WHERE lower(username) = lower(@username)",
            new { username });
    }

    private static bool Verifies(string password, string? hash) =>
        new Argon2idHasher(new Argon2Parameters(), 1).Verify(password, hash) != VerifyResult.Failed;

    [Test]
    public async Task Create_with_password_stdin_prints_the_user_without_the_password_and_stores_an_argon2id_hash()
    {
        var (code, output, error) = await RunAsync(Secret + "\n", "users", "create", "--username", "Carol", "--email", "carol@example.com",
            "--name", "Carol Danvers", "--email-verified", "--password-stdin");
        var json = JsonDocument.Parse(output).RootElement;
        var hash = await PasswordHashAsync("carol");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Ok), error);
            Assert.That(json.GetProperty("username").GetString(), Is.EqualTo("Carol"));
            Assert.That(json.GetProperty("email").GetString(), Is.EqualTo("carol@example.com"));
            Assert.That(json.GetProperty("emailVerified").GetBoolean(), Is.True);
            Assert.That(Guid.TryParse(json.GetProperty("id").GetString(), out _), Is.True);
            Assert.That(output, Does.Not.Contain(Secret).And.Not.Contain("argon2"));
            Assert.That(hash, Does.StartWith("$argon2id$v=19$m=19456,t=2,p=1$"));
            Assert.That(Verifies(Secret, hash), Is.True);
        });
    }

    [Test]
    public async Task Usernames_are_unique_regardless_of_case()
    {
        var (first, _, _) = await RunAsync(null, "users", "create", "--username", "dave", "--password", Secret);
        var (second, _, error) = await RunAsync(null, "users", "create", "--username", "DAVE", "--password", Secret);
        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(OpsCli.Ok));
            Assert.That(second, Is.EqualTo(OpsCli.Usage));
            Assert.That(error, Does.Contain("already exists"));
        });
    }

    [TestCase(null, "users", "create", "--username", "erin", TestName = "Create_without_a_password_is_a_usage_error")]
    [TestCase("", "users", "create", "--username", "erin", "--password-stdin", TestName = "Empty_password_stdin_is_a_usage_error")]
    [TestCase(null, "users", "create", "--username", "erin", "--password", "short", TestName = "Short_password_is_a_usage_error")]
    [TestCase(null, "users", "create", "--username", "bad name", "--password", Secret, TestName = "Username_with_spaces_is_a_usage_error")]
    [TestCase(null, "users", "create", "--username", "erin", "--email", "not-an-email", "--password", Secret,
        TestName = "Bad_email_is_a_usage_error")]
    public async Task Invalid_input_exits_2_with_one_line(string? stdin, params string[] args)
    {
        var (code, output, error) = await RunAsync(stdin, args);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Usage));
            Assert.That(output, Is.Empty);
            Assert.That(error.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
            Assert.That(error, Does.Not.Contain(Secret));
        });
    }

    [Test]
    public async Task Set_password_replaces_the_hash_and_delete_removes_the_user()
    {
        await RunAsync(null, "users", "create", "--username", "frank", "--password", Secret);
        var (changed, output, _) = await RunAsync("the new password\n", "users", "set-password", "FRANK", "--password-stdin");
        var hash = await PasswordHashAsync("frank");
        var (deleted, _, _) = await RunAsync(null, "users", "delete", "frank");
        var (again, _, error) = await RunAsync(null, "users", "delete", "frank");
        Assert.Multiple(async () =>
        {
            Assert.That(changed, Is.EqualTo(OpsCli.Ok));
            Assert.That(output, Does.Not.Contain("the new password"));
            Assert.That(Verifies("the new password", hash), Is.True);
            Assert.That(Verifies(Secret, hash), Is.False);
            Assert.That(deleted, Is.EqualTo(OpsCli.Ok));
            Assert.That(await PasswordHashAsync("frank"), Is.Null);
            Assert.That(again, Is.EqualTo(OpsCli.NotFound));
            Assert.That(error, Does.Contain("no user named"));
        });
    }

    [Test]
    public async Task Set_password_for_an_unknown_user_exits_3()
    {
        var (code, _, _) = await RunAsync(null, "users", "set-password", "nobody", "--password", Secret);
        Assert.That(code, Is.EqualTo(OpsCli.NotFound));
    }

    [Test] // Issue 11 points 4 and 5: roles and tenant memberships from the CLI, shown by list and show.
    public async Task Roles_and_tenants_are_granted_and_taken_away_and_shown_by_list_and_show()
    {
        await RunAsync(Secret + "\n", "users", "create", "--username", "dora", "--password-stdin");
        var granted = await RunAsync(null, "users", "grant-role", "dora", "data-admin");
        var console = await RunAsync(null, "users", "grant-role", "dora", "console-viewer");
        var added = await RunAsync(null, "users", "add-tenant", "dora", "acme");
        await RunAsync(null, "users", "add-tenant", "dora", "acme");
        var (_, shown, _) = await RunAsync(null, "users", "show", "Dora");
        await RunAsync(null, "users", "revoke-role", "dora", "data-admin");
        await RunAsync(null, "users", "remove-tenant", "dora", "acme");
        var (listCode, listed, _) = await RunAsync(null, "users", "list");
        var before = JsonDocument.Parse(shown).RootElement;
        var after = JsonDocument.Parse(listed).RootElement.EnumerateArray().Single(u => u.GetProperty("username").GetString() == "dora");
        Assert.Multiple(() =>
        {
            Assert.That(granted.Code, Is.EqualTo(OpsCli.Ok), granted.Error);
            Assert.That(console.Code, Is.EqualTo(OpsCli.Ok), console.Error);
            Assert.That(added.Code, Is.EqualTo(OpsCli.Ok), added.Error);
            Assert.That(before.GetProperty("roles").EnumerateArray().Select(r => r.GetString()),
                Is.EqualTo(new[] { "console-viewer", "data-admin" }));
            Assert.That(before.GetProperty("tenants").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "acme" }),
                "a set: added twice, once");
            Assert.That(listCode, Is.EqualTo(OpsCli.Ok));
            Assert.That(after.GetProperty("roles").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "console-viewer" }));
            Assert.That(after.GetProperty("tenants").GetArrayLength(), Is.Zero);
            Assert.That(listed, Does.Not.Contain("argon2"));
        });
    }

    [TestCase("grant-role", "dora2", "root", 2)]
    [TestCase("grant-role", "nobody", "data-admin", 3)]
    [TestCase("add-tenant", "dora2", "acme\n", 2)]
    [TestCase("add-tenant", "dora2", "-leading-dash", 2)]
    [TestCase("sign-out", "nobody", null, 3)]
    public async Task Bad_roles_tenants_and_users_get_one_line_and_a_usage_or_not_found_code(string command, string user, string? value,
        int expected)
    {
        await RunAsync(Secret + "\n", "users", "create", "--username", "dora2", "--password-stdin");
        var (code, _, error) = value is null
            ? await RunAsync(null, "users", command, user)
            : await RunAsync(null, "users", command, user, value);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(expected), error);
            Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1), error);
        });
    }
}
