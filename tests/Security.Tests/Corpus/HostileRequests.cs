using System.Text;

namespace Security.Tests.Corpus;

public enum Target
{
    Token,
    Authorize,
    Login,
    Introspect,
    GraphQL,
}

/// <summary>One generated request, kept as plain data so a failure can be printed and replayed from the seed.</summary>
public sealed record HostileRequest(int Index, Target Target, string Kind, HttpMethod Method, string Path, byte[]? Body, string? ContentType,
    IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(Method, Path);
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            message.Content.Headers.Remove("Content-Type");
            if (ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
        }

        foreach (var (name, value) in Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        return message;
    }

    public override string ToString() =>
        $"#{Index} {Target}/{Kind}: {Method} {Path[..Math.Min(Path.Length, 120)]} ct={ContentType} " +
        $"body={(Body is null ? "-" : Encoding.UTF8.GetString(Body, 0, Math.Min(Body.Length, 160)))}";
}

/// <summary>
/// Hostile requests from one seeded <see cref="Random"/>: the same seed gives the same corpus. The mix keeps most
/// token requests failing before client authentication (malformed) or on a few unknown ids that the failed
/// authentication limiter soon answers with 429, so the corpus does not turn into thousands of Argon2id hashes.
/// </summary>
public sealed class HostileRequests(int seed, string validClientId, string validSecret, string bearer)
{
    private readonly Random random = new(seed);

    private static readonly string[] Sql =
    [
        "' OR '1'='1", "'; DROP TABLE applications; --", "\" OR \"\"=\"", "1; SELECT pg_sleep(10)--", "admin'--", "%' AND 1=0 UNION SELECT * FROM users --",
        "\\'; TRUNCATE signing_keys; --", "$$; DROP TABLE refresh_tokens; $$",
    ];

    private static readonly string[] Grants =
        ["client_credentials", "authorization_code", "refresh_token", "password", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer", "", "CLIENT_CREDENTIALS"];

    private static readonly string[] Names =
        ["grant_type", "client_id", "client_secret", "scope", "tenant", "code", "redirect_uri", "code_verifier", "refresh_token", "x", ""];

    private static readonly string[] ContentTypes =
    [
        "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8", "application/x-www-form-urlencoded; charset=utf-16",
        "application/json", "text/plain", "multipart/form-data; boundary=zz", "multipart/form-data", "application/xml", "a/b/c;;;=",
        "application/x-www-form-urlencoded; charset=\"", "*/*", "",
    ];

    private static readonly HttpMethod[] Methods =
        [HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Head, HttpMethod.Options, new("PROPFIND"), new("TRACE")];

    /// <summary>A few unknown client ids, so the limiter (per id and per address) quickly stops the hashing.</summary>
    private static readonly string[] UnknownIds = ["nosuchclient-a", "nosuchclient-b", "' OR 1=1 --"];

    public IEnumerable<HostileRequest> Generate(int tokenRequests, int perOtherTarget)
    {
        var index = 0;
        for (var i = 0; i < tokenRequests; i++)
        {
            yield return TokenRequest(index++);
        }

        foreach (var target in new[] { Target.Authorize, Target.Login, Target.Introspect, Target.GraphQL })
        {
            for (var i = 0; i < perOtherTarget; i++)
            {
                yield return target == Target.GraphQL ? GraphQLRequest(index++) : FormRequest(index++, target);
            }
        }
    }

    private HostileRequest TokenRequest(int index)
    {
        var roll = random.Next(100);
        return roll switch
        {
            < 12 => Form(index, Target.Token, "random-bytes", RandomBytes(random.Next(0, 3000)), FormType),
            < 22 => Form(index, Target.Token, "broken-percent-encoding", Encoding.ASCII.GetBytes(BrokenPercent()), FormType),
            < 32 => Form(index, Target.Token, "huge-parameter", Encoding.ASCII.GetBytes(
                $"grant_type=client_credentials&{Pick(Names)}={new string('A', random.Next(4000, 70_000))}"), FormType),
            < 40 => Form(index, Target.Token, "empty-parameters", Encoding.ASCII.GetBytes(EmptyParameters()), FormType),
            < 48 => Form(index, Target.Token, "repeated-parameter", Encoding.ASCII.GetBytes(Repeated()), FormType),
            < 58 => Form(index, Target.Token, "unicode-and-nul", Encoding.UTF8.GetBytes(UnicodeForm()), FormType),
            < 65 => Form(index, Target.Token, "sql-metacharacters", Encoding.UTF8.GetBytes(SqlForm()), FormType),
            < 73 => Form(index, Target.Token, "wrong-content-type", Encoding.ASCII.GetBytes(ValidForm()), Pick(ContentTypes)),
            < 78 => new HostileRequest(index, Target.Token, "wrong-method", Pick(Methods), "/oauth2/token" + (random.Next(2) == 0 ? "?" + ValidForm() : ""),
                null, null, []),
            < 84 => Form(index, Target.Token, "hostile-basic", Encoding.ASCII.GetBytes("grant_type=client_credentials"), FormType,
                new KeyValuePair<string, string>("Authorization", HostileBasic())),
            < 88 => Form(index, Target.Token, "oversized-headers", Encoding.ASCII.GetBytes("grant_type=client_credentials"), FormType,
                [.. Enumerable.Range(0, random.Next(1, 40)).Select(i => new KeyValuePair<string, string>("X-Junk-" + i, new string('h', random.Next(10, 4000))))]),
            < 94 => Form(index, Target.Token, "mutated-valid", Encoding.UTF8.GetBytes(Mutate(ValidForm())), FormType),
            _ => Form(index, Target.Token, "grant-parameter-garbage", Encoding.UTF8.GetBytes(GrantGarbage()), FormType),
        };
    }

    private HostileRequest FormRequest(int index, Target target)
    {
        var (path, fields) = target switch
        {
            Target.Authorize => ("/oauth2/authorize", new[] { "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "nonce", "prompt" }),
            Target.Login => ("/oauth2/authorize", new[] { "username", "password", "__RequestVerificationToken", "client_id", "redirect_uri", "response_type" }),
            _ => ("/oauth2/introspect", new[] { "token", "token_type_hint", "client_id", "client_secret" }),
        };
        var form = string.Join("&", fields.Where(_ => random.Next(4) > 0).Select(f => f + "=" + HostileValue()));
        var roll = random.Next(10);
        return roll switch
        {
            0 => Form(index, target, "random-bytes", RandomBytes(random.Next(0, 2000)), FormType),
            1 => new HostileRequest(index, target, "query-string", HttpMethod.Get, path + "?" + form, null, null, []),
            2 => Form(index, target, "wrong-content-type", Encoding.UTF8.GetBytes(form), Pick(ContentTypes), path: path),
            3 => new HostileRequest(index, target, "wrong-method", Pick(Methods), path, null, null, []),
            4 => Form(index, target, "hostile-basic", Encoding.UTF8.GetBytes(form), FormType, path: path,
                headers: new KeyValuePair<string, string>("Authorization", HostileBasic())),
            5 => Form(index, target, "hostile-cookie", Encoding.UTF8.GetBytes(form), FormType, path: path,
                headers: new KeyValuePair<string, string>("Cookie", $".AspNetCore.Antiforgery.x={HostileAscii()}; ts_session={HostileAscii()}")),
            _ => Form(index, target, "hostile-form", Encoding.UTF8.GetBytes(form), FormType, path: path),
        };
    }

    private HostileRequest GraphQLRequest(int index)
    {
        var auth = random.Next(4) switch
        {
            0 => new KeyValuePair<string, string>("Authorization", "Bearer " + bearer),
            1 => new KeyValuePair<string, string>("Authorization", "Bearer " + HostileAscii()),
            2 => new KeyValuePair<string, string>("Authorization", HostileBasic()),
            _ => new KeyValuePair<string, string>("X-None", "1"),
        };
        var roll = random.Next(8);
        var query = roll switch
        {
            0 => new string('{', random.Next(1, 5000)),
            1 => "{ " + string.Concat(Enumerable.Repeat("dataPools(first: 100) { edges { node { ", random.Next(1, 40))) + "id",
            2 => "{ a: __typename " + string.Concat(Enumerable.Range(0, random.Next(1, 3000)).Select(i => $"a{i}: __typename ")) + "}",
            3 => "query($x: String) { metrics(first: " + random.Next(-5, 1_000_000) + ") { edges { node { id } } } }",
            4 => HostileValue(),
            _ => "{ __typename }",
        };
        var json = random.Next(5) switch
        {
            0 => "{\"query\":" + System.Text.Json.JsonSerializer.Serialize(query) + ",\"variables\":" + Pick(["null", "[]", "\"x\"", "{\"x\":{\"y\":[1,2,{}]}}", "1e999"]) + "}",
            1 => "{\"query\":" + System.Text.Json.JsonSerializer.Serialize(query) + ",\"operationName\":" + System.Text.Json.JsonSerializer.Serialize(HostileValue()) + "}",
            2 => Encoding.UTF8.GetString(RandomBytes(random.Next(0, 500))),
            _ => "{\"query\":" + System.Text.Json.JsonSerializer.Serialize(query) + "}",
        };
        return random.Next(6) == 0
            ? new HostileRequest(index, Target.GraphQL, "get", HttpMethod.Get, "/graphql?query=" + Uri.EscapeDataString(query[..Math.Min(query.Length, 4000)]) +
                (random.Next(2) == 0 ? "&variables=" + HostileValue() : ""), null, null, [auth])
            : new HostileRequest(index, Target.GraphQL, "post", HttpMethod.Post, "/graphql", Encoding.UTF8.GetBytes(json),
                random.Next(6) == 0 ? Pick(ContentTypes) : "application/json", [auth]);
    }

    private const string FormType = "application/x-www-form-urlencoded";

    private static HostileRequest Form(int index, Target target, string kind, byte[] body, string contentType, params KeyValuePair<string, string>[] headers) =>
        Form(index, target, kind, body, contentType, "/oauth2/token", headers);

    private static HostileRequest Form(int index, Target target, string kind, byte[] body, string contentType, string path,
        params KeyValuePair<string, string>[] headers) =>
        new(index, target, kind, HttpMethod.Post, path, body, contentType, headers);

    private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private string ValidForm() => $"grant_type=client_credentials&client_id={Uri.EscapeDataString(validClientId)}&client_secret={Uri.EscapeDataString(validSecret)}";

    private string UnknownCredentials() =>
        $"client_id={Uri.EscapeDataString(Pick(UnknownIds))}&client_secret={Uri.EscapeDataString(HostileAscii())}";

    private string BrokenPercent() => Pick(new[]
    {
        "grant_type=client_credentials&client_id=%ZZ&client_secret=%",
        "grant_type=client%5credentials&client_id=%E0%A4%A&client_secret=x",
        "grant_type=%C0%AFclient_credentials&" + UnknownCredentials(),
        "%%%%%=%%%&&&==&%00=%FF%FE",
        "grant_type=client_credentials&scope=%ED%A0%80%ED%B0%80&" + UnknownCredentials(),
        "grant_type=%u0063lient_credentials",
        "grant_type=client_credentials&client_id=" + new string('%', random.Next(1, 500)),
    });

    private string EmptyParameters() => Pick(new[]
    {
        "", "=", "&&&&", "grant_type=", "grant_type=&client_id=&client_secret=", "=client_credentials", "grant_type", "grant_type=client_credentials&client_id=&client_secret=",
        "grant_type=client_credentials&" + string.Join("&", Enumerable.Repeat("=", random.Next(1, 2000))),
    });

    private string Repeated()
    {
        var name = Pick(Names[..9]);
        var count = random.Next(2, random.Next(3) == 0 ? 5000 : 5);
        return "grant_type=client_credentials&" + string.Join("&", Enumerable.Repeat($"{name}=v", count));
    }

    private string UnicodeForm()
    {
        var value = Pick(new[]
        {
            "\0", "client\0credentials", "ｃｌｉｅｎｔ＿ｃｒｅｄｅｎｔｉａｌｓ", "\u202Eslaitnederc_tneilc", "\uFEFF", "𝓬𝓵𝓲𝓮𝓷𝓽", "\uD800", "\u0000\u0001\u001F",
            "é\u0301", new string('\u4E00', random.Next(1, 2000)), "\r\n\r\nHTTP/1.1 200 OK", "<script>alert(1)</script>",
        });
        return $"grant_type={Uri.EscapeDataString(Pick(Grants))}&{Pick(Names)}={EscapeLoose(value)}&" + UnknownCredentials();
    }

    private string SqlForm()
    {
        var name = Pick(new[] { "client_id", "scope", "tenant", "code", "refresh_token", "redirect_uri" });
        var credentials = name == "client_id" ? $"client_secret={Uri.EscapeDataString(HostileAscii())}" : UnknownCredentials();
        return $"grant_type={Pick(Grants)}&{name}={Uri.EscapeDataString(Pick(Sql))}&{credentials}";
    }

    private string HostileBasic() => random.Next(7) switch
    {
        0 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(Pick(UnknownIds) + ":" + HostileAscii())),
        1 => "Basic " + new string('Q', random.Next(1, 20_000)),
        2 => "Basic !!!",
        3 => "Basic " + Convert.ToBase64String(RandomBytes(random.Next(0, 300))),
        4 => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("%ZZ:%E0%A4%A")),
        5 => "Bearer " + HostileAscii(),
        _ => Pick(new[] { "Basic", "Basic ", "basic Og==", "Digest username=x", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(":")) }),
    };

    private string Mutate(string form)
    {
        var chars = form.ToCharArray();
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            chars[random.Next(chars.Length)] = (char)random.Next(0x20, 0x7F);
        }

        return new string(chars);
    }

    private string GrantGarbage() =>
        $"grant_type={Pick(Grants)}&code={Uri.EscapeDataString(HostileAscii())}&refresh_token={Uri.EscapeDataString(HostileAscii())}" +
        $"&redirect_uri={Uri.EscapeDataString(Pick(new[] { "javascript:alert(1)", "http://evil.example/cb", "//evil", HostileAscii() }))}" +
        $"&code_verifier={Uri.EscapeDataString(HostileAscii())}&client_id={Uri.EscapeDataString(Pick(UnknownIds))}";

    private string HostileValue() => random.Next(6) switch
    {
        0 => Uri.EscapeDataString(Pick(Sql)),
        1 => EscapeLoose(Pick(new[] { "\0", "\uD800", "𝓬𝓵", "\u202E", "é" })),
        2 => new string('x', random.Next(0, 10_000)),
        3 => "%ZZ%" + random.Next(),
        4 => "",
        _ => Uri.EscapeDataString(HostileAscii()),
    };

    private string HostileAscii() => new(Enumerable.Range(0, random.Next(0, 80)).Select(_ => (char)random.Next(0x21, 0x7F)).ToArray());

    /// <summary>Percent-encodes what it can; lone surrogates become their raw (invalid) UTF-8 bytes' encoding.</summary>
    private static string EscapeLoose(string value)
    {
        var text = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}
