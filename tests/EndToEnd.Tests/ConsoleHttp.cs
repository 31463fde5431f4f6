using System.Net;
using System.Text.RegularExpressions;

namespace EndToEnd.Tests;

/// <summary>
/// A Console visitor over plain HTTP (real sockets, no redirects followed) whose cookies are a dictionary: a test can
/// copy them, as a thief would, and replay the copy later from another client or against another instance.
/// </summary>
public sealed partial class ConsoleHttp : IDisposable
{
    private readonly HttpClient http;

    public ConsoleHttp(Uri baseAddress, IReadOnlyDictionary<string, string>? cookies = null)
    {
        http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = baseAddress };
        foreach (var (name, value) in cookies ?? new Dictionary<string, string>())
        {
            Cookies[name] = value;
        }
    }

    public Dictionary<string, string> Cookies { get; } = new(StringComparer.Ordinal);

    public Task<HttpResponseMessage> GetAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path));

    public Task<HttpResponseMessage> PostAsync(string path, IEnumerable<KeyValuePair<string, string>> form) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) });

    /// <summary>Through the real form: the antiforgery token from the sign-in page, then the post. Returns the post's answer.</summary>
    public async Task<HttpResponseMessage> SignInAsync(string username, string password, string? returnUrl = null)
    {
        using var form = await GetAsync("/console/sign-in");
        var fields = new List<KeyValuePair<string, string>>
        {
            Antiforgery(await form.Content.ReadAsStringAsync()), new("username", username), new("password", password),
        };
        if (returnUrl is not null)
        {
            fields.Add(new("returnUrl", returnUrl));
        }

        return await PostAsync("/console/sign-in", fields);
    }

    /// <summary>The antiforgery field of the first form on a Console page (every page's sign-out form carries one).</summary>
    public static KeyValuePair<string, string> Antiforgery(string html)
    {
        var field = HiddenField().Match(html);
        Assert.That(field.Success, Is.True, "no hidden antiforgery field on the page");
        return new(WebUtility.HtmlDecode(field.Groups[1].Value), WebUtility.HtmlDecode(field.Groups[2].Value));
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            if (Cookies.Count > 0)
            {
                request.Headers.Add("Cookie", string.Join("; ", Cookies.Select(c => $"{c.Key}={c.Value}")));
            }

            var response = await http.SendAsync(request);
            foreach (var header in response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [])
            {
                var pair = header.Split(';')[0];
                var name = pair[..pair.IndexOf('=', StringComparison.Ordinal)];
                var value = pair[(name.Length + 1)..];
                if (value.Length == 0)
                {
                    Cookies.Remove(name);
                }
                else
                {
                    Cookies[name] = value;
                }
            }

            return response;
        }
    }

    public void Dispose() => http.Dispose();

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]+)\">")]
    private static partial Regex HiddenField();
}
