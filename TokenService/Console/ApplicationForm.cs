using Shared.Protocol;
using static TokenService.WebConsole.ConsoleHtml;

namespace TokenService.WebConsole;

/// <summary>What the create and edit forms hold, read back from a post so that nothing typed is lost on an error.</summary>
public sealed record ApplicationForm(string Name, string Description, string[] Scopes, string Type, string RedirectUris,
    string AllowedTenants,
    string FormId)
{
    /// <summary>Lines of <c>name: value, value</c> (<c>*</c>: any value); empty means any policy values.</summary>
    public string AllowedPolicyValues { get; init; } = "";

    /// <summary>Whole seconds; empty means the server's default lifetime.</summary>
    public string AccessTokenLifetime { get; init; } = "";

    /// <summary>CONTRACT.md "Scopes": what each one grants, shown beside its checkbox.</summary>
    public static readonly IReadOnlyDictionary<string, string> ScopeDescriptions = new Dictionary<string, string>
    {
        [Shared.Protocol.Scopes.Admin] = "read and write access to Data Sources, Data Pools and Metrics",
        [Shared.Protocol.Scopes.ApplicationAdmin] = "create, list, rotate and delete Applications",
        [Shared.Protocol.Scopes.MetricQuery] = "query Metrics",
        [Shared.Protocol.Scopes.MetricRead] = "list Metrics",
        [Shared.Protocol.Scopes.MetricStats] = "query Metrics' Dimension Statistics",
        [Shared.Protocol.Scopes.DataPoolQuery] = "query Data Pools",
        [Shared.Protocol.Scopes.DataPoolStats] = "query Data Pools' Dimension Statistics",
        [Shared.Protocol.Scopes.OpenId] = "OpenID Connect: an ID token for a signed-in user",
        [Shared.Protocol.Scopes.Profile] = "OpenID Connect: the user's name claims",
        [Shared.Protocol.Scopes.Email] = "OpenID Connect: the user's email claims",
        [Shared.Protocol.Scopes.OfflineAccess] = "a refresh token",
    };

    public static ApplicationForm Empty() => new("", "", [], ClientTypes.Confidential, "", "", ConsoleSubmissions.NewFormId());

    public static ApplicationForm From(Applications.ApplicationView a) => new(a.Name, a.Description, a.Scopes, a.ClientType,
        string.Join('\n', a.RedirectUris), a.AllowedTenants is null ? "" : string.Join('\n', a.AllowedTenants), "")
    {
        AllowedPolicyValues = a.AllowedPolicyValues is { } values
            ? string.Join('\n', values.EnumerateObject()
                .Select(m => $"{m.Name}: {string.Join(", ", m.Value.EnumerateArray().Select(v => v.GetString()))}"))
            : "",
        AccessTokenLifetime = a.AccessTokenLifetimeSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    public static ApplicationForm Read(IFormCollection form) => new(
        form["name"].ToString(), form["description"].ToString(), form["scopes"].Where(s => s is not null).Select(s => s!).ToArray(),
        form["type"].ToString() is { Length: > 0 } type ? type : ClientTypes.Confidential,
        form["redirectUris"].ToString(), form["allowedTenants"].ToString(), form["formId"].ToString())
    {
        AllowedPolicyValues = form[Applications.AllowedPolicyValues.Field].ToString(),
        AccessTokenLifetime = form[LifetimeField].ToString(),
    };

    private const string LifetimeField = "accessTokenLifetimeSeconds";

    /// <summary>
    /// The lifetime and the allowed policy values as the management API takes them, or an error naming the field. The
    /// lines become the same JSON object the API and the CLI take, so all three are checked by one set of rules.
    /// </summary>
    public (int? Lifetime, System.Text.Json.JsonElement? PolicyValues, ValidationError? Error) TokenInputs()
    {
        int? lifetime = null;
        if (AccessTokenLifetime.Trim() is { Length: > 0 } text)
        {
            if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture,
                    out var seconds))
            {
                return (null, null,
                    new ValidationError(LifetimeField, "the access-token lifetime must be a whole number of seconds, or empty"));
            }

            lifetime = seconds;
        }

        var lines = AllowedPolicyValues.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0)
        {
            return (lifetime, null, null);
        }

        var allowed = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !allowed.TryAdd(line[..colon].Trim(),
                    line[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            {
                return (lifetime, null, new ValidationError(Applications.AllowedPolicyValues.Field,
                    $"each line is one name and its values, as 'region: eu, us' (name once): '{Token.OAuthError.Truncate(line)}'"));
            }
        }

        return (lifetime, System.Text.Json.JsonSerializer.SerializeToElement(allowed), null);
    }

    public static string[] Lines(string text) =>
        text.Split(['\n', '\r', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Blank means any tenant (no restriction).</summary>
    public string[]? TenantList => Lines(AllowedTenants) is { Length: > 0 } list ? list : null;

    /// <summary>The fields; on edit the type is shown, not asked (it decides whether a secret exists and cannot change).</summary>
    public string Fields(string? errorField, string? error, bool isEdit)
    {
        string? ErrorFor(string field) => errorField == field ? error : null;
        var scopes = string.Concat(Shared.Protocol.Scopes.All.Select(s =>
            $"<div><input type=\"checkbox\" id=\"scope-{E(s.Replace(':', '-'))}\" name=\"scopes\" " +
            $"value=\"{E(s)}\"{(Scopes.Contains(s) ? " checked" : "")}>" +
            $" <label for=\"scope-{E(s.Replace(':', '-'))}\"><code>{E(s)}</code> " +
            $"<span>{E(ScopeDescriptions.GetValueOrDefault(s, ""))}</span></label></div>"));
        var scopeError = ErrorFor("scopes") is { } se ? $"<p class=\"field-error\" id=\"scopes-error\">{E(se)}</p>" : "";
        var type = isEdit
            ? $"<p><strong>Type:</strong> {E(Type)} <span class=\"hint\">(cannot change: create a new application instead)</span></p>"
            : "<fieldset class=\"scopes\" id=\"type\"><legend>Type</legend>" + TypeOption(ClientTypes.Confidential,
                  "a server that keeps a secret (client_credentials, or sign-in with a secret)") +
              TypeOption(ClientTypes.Public, "a browser or native app: no secret, sign-in with PKCE only") +
              (ErrorFor("type") is { } te ? $"<p class=\"field-error\">{E(te)}</p>" : "") + "</fieldset>";
        return Field("name", "Name", Name, ErrorFor("name"), extra: " required maxlength=\"100\" autocomplete=\"off\"",
                   hint: "Unique; 1 to 100 characters.") +
               TextArea("description", "Description", Description, ErrorFor("description")) +
               $"<fieldset class=\"scopes\" id=\"scopes\"{(scopeError.Length > 0 ? " aria-describedby=\"scopes-error\"" : "")}>" +
               $"<legend>Scopes</legend>{scopeError}{scopes}</fieldset>" +
               type +
               TextArea("redirectUris", "Redirect URIs", RedirectUris, ErrorFor("redirectUris") ?? ErrorFor("grantTypes"),
                   "One per line. Only for sign-in (authorization code); leave empty for client_credentials.") +
               TextArea("allowedTenants", "Allowed tenants", AllowedTenants, ErrorFor("allowedTenants"),
                   "One tenant ID per line; empty means any tenant.") +
               TextArea(Applications.AllowedPolicyValues.Field, "Allowed policy values", AllowedPolicyValues,
                   ErrorFor(Applications.AllowedPolicyValues.Field),
                   "What the application may send as policy_values for Access Policies: one name per line with its values, " +
                   "as 'region: eu, us' ('*' for any value); empty means any.") +
               Field(LifetimeField, "Access-token lifetime (seconds)", AccessTokenLifetime, ErrorFor(LifetimeField),
                   extra: " inputmode=\"numeric\" pattern=\"[0-9]*\" autocomplete=\"off\"", hint: "Empty means the server's default.");
    }

    private string TypeOption(string value, string description) =>
        $"<div><input type=\"radio\" id=\"type-{value}\" name=\"type\" value=\"{value}\"{(Type == value ? " checked" : "")}>" +
        $" <label for=\"type-{value}\">{value} <span>{E(description)}</span></label></div>";
}
