using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;

namespace Security.Tests.Infrastructure;

/// <summary>
/// The authorization code flow as a browser and a client drive it over HTTP: GET /oauth2/authorize, post the login
/// form (antiforgery field and cookie included), take the code from the redirect, exchange it with PKCE S256, refresh.
/// The browser client must keep cookies and must not follow redirects.
/// </summary>
public static partial class UserSignIn
{
    public const string RedirectUri = "https://client.example/callback";

    public static async Task<(string Code, string Verifier)> AuthorizeAsync(HttpClient browser, string clientId, string username, string password,
        string scope = "openid profile offline_access")
    {
        var (posted, verifier) = await SubmitLoginAsync(browser, clientId, username, password, scope);
        using (posted)
        {
            var location = posted.Headers.Location?.ToString()
                ?? throw new InvalidOperationException($"sign-in did not redirect: {(int)posted.StatusCode} {await posted.Content.ReadAsStringAsync()}");
            var code = QueryHelpers.ParseQuery(new Uri(location).Query)["code"].ToString();
            return code.Length > 0 ? (code, verifier) : throw new InvalidOperationException("no code in " + location);
        }
    }

    /// <summary>Opens the login page of a fresh authorization request and submits it; the response is the caller's.</summary>
    public static async Task<(HttpResponseMessage Response, string Verifier)> SubmitLoginAsync(HttpClient browser, string clientId, string username,
        string password, string scope = "openid profile offline_access")
    {
        var verifier = ForgedJwt.B64(RandomNumberGenerator.GetBytes(32));
        var challenge = ForgedJwt.B64(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var query = QueryHelpers.AddQueryString("/oauth2/authorize", new Dictionary<string, string?>
        {
            ["response_type"] = "code", ["client_id"] = clientId, ["redirect_uri"] = RedirectUri, ["scope"] = scope,
            ["state"] = "st-" + Guid.NewGuid().ToString("N")[..8], ["code_challenge"] = challenge, ["code_challenge_method"] = "S256",
        });
        var page = await browser.GetStringAsync(query);
        var fields = HiddenInput().Matches(page).ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));
        fields["username"] = username;
        fields["password"] = password;
        return (await browser.PostAsync("/oauth2/authorize", new FormUrlEncodedContent(fields)), verifier);
    }

    /// <summary>A new refresh-token family: a fresh browser signs in, the code is exchanged; returns its refresh token.</summary>
    public static async Task<string> NewFamilyAsync(HttpClient client, string clientId, string secret, string username, string password)
    {
        var cookies = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = new CookieContainer() };
        using var browser = new HttpClient(cookies) { BaseAddress = client.BaseAddress };
        var (code, verifier) = await AuthorizeAsync(browser, clientId, username, password, "openid offline_access");
        return (await ExchangeAsync(client, clientId, secret, code, verifier)).GetProperty("refresh_token").GetString()!;
    }

    public static Task<JsonElement> ExchangeAsync(HttpClient client, string clientId, string secret, string code, string verifier) =>
        PostAsync(client, clientId, secret, ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", RedirectUri), ("code_verifier", verifier));

    public static Task<JsonElement> RefreshAsync(HttpClient client, string clientId, string secret, string refreshToken) =>
        PostAsync(client, clientId, secret, ("grant_type", "refresh_token"), ("refresh_token", refreshToken));

    public static async Task<(HttpStatusCode Status, JsonElement Body)> TryRefreshAsync(HttpClient client, string clientId, string secret, string refreshToken)
    {
        using var response = await client.PostAsync("/oauth2/token", Form(clientId, secret, ("grant_type", "refresh_token"), ("refresh_token", refreshToken)));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static async Task<JsonElement> PostAsync(HttpClient client, string clientId, string secret, params (string, string)[] parameters)
    {
        using var response = await client.PostAsync("/oauth2/token", Form(clientId, secret, parameters));
        var body = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? JsonDocument.Parse(body).RootElement.Clone()
            : throw new InvalidOperationException($"token request failed: {(int)response.StatusCode} {body}");
    }

    private static FormUrlEncodedContent Form(string clientId, string secret, params (string Name, string Value)[] parameters) =>
        new(parameters.Select(p => KeyValuePair.Create(p.Name, p.Value))
            .Append(KeyValuePair.Create("client_id", clientId)).Append(KeyValuePair.Create("client_secret", secret)));

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\">")]
    private static partial Regex HiddenInput();
}
