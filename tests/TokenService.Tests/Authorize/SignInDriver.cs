using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.WebUtilities;

namespace TokenService.Tests.Authorize;

/// <summary>
/// Drives /oauth2/authorize like a browser would: a cookie-aware client that does not follow redirects, so each
/// step (login form, 302 to the client) can be inspected. Form fields are read from the rendered HTML.
/// </summary>
public sealed partial class SignInDriver(HttpClient browser) : IDisposable
{
    public HttpClient Browser => browser;

    public static SignInDriver Create(WebApplicationFactory<Program> host) =>
        new(host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));

    public Task<HttpResponseMessage> AuthorizeAsync(IEnumerable<KeyValuePair<string, string?>> query) =>
        browser.GetAsync(QueryHelpers.AddQueryString("/oauth2/authorize", query));

    /// <summary>Posts the login form found in <paramref name="html"/>, hidden fields and antiforgery token included.</summary>
    public Task<HttpResponseMessage> SubmitLoginAsync(string html, string username, string password, bool withAntiforgery = true)
    {
        var fields = HiddenFields(html);
        if (!withAntiforgery)
        {
            fields.Remove("__RequestVerificationToken");
        }

        fields["username"] = username;
        fields["password"] = password;
        return browser.PostAsync("/oauth2/authorize", new FormUrlEncodedContent(fields));
    }

    /// <summary>GET authorize, then the login form: the 302 response to the client's redirect URI.</summary>
    public async Task<HttpResponseMessage> SignInAsync(IEnumerable<KeyValuePair<string, string?>> query, string username, string password)
    {
        using var form = await AuthorizeAsync(query);
        Assert.That(form.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the login form");
        return await SubmitLoginAsync(await form.Content.ReadAsStringAsync(), username, password);
    }

    public static Dictionary<string, string> HiddenFields(string html) =>
        HiddenInput().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));

    /// <summary>The query of a redirect's Location.</summary>
    public static Dictionary<string, string> QueryOf(HttpResponseMessage redirect) =>
        QueryHelpers.ParseQuery(redirect.Headers.Location!.Query).ToDictionary(p => p.Key, p => p.Value.ToString());

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    public void Dispose() => browser.Dispose();

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\">")]
    private static partial Regex HiddenInput();
}
