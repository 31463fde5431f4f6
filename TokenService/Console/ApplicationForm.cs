using Shared.Protocol;
using static TokenService.WebConsole.ConsoleHtml;

namespace TokenService.WebConsole;

/// <summary>What the create and edit forms hold, read back from a post so that nothing typed is lost on an error.</summary>
public sealed record ApplicationForm(string Name, string Description, string[] Scopes, string Type, string RedirectUris,
    string AllowedTenants,
    string FormId)
{
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
        string.Join('\n', a.RedirectUris), a.AllowedTenants is null ? "" : string.Join('\n', a.AllowedTenants), "");

    public static ApplicationForm Read(IFormCollection form) => new(
        form["name"].ToString(), form["description"].ToString(), form["scopes"].Where(s => s is not null).Select(s => s!).ToArray(),
        form["type"].ToString() is { Length: > 0 } type ? type : ClientTypes.Confidential,
        form["redirectUris"].ToString(), form["allowedTenants"].ToString(), form["formId"].ToString());

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
                   "One tenant ID per line; empty means any tenant.");
    }

    private string TypeOption(string value, string description) =>
        $"<div><input type=\"radio\" id=\"type-{value}\" name=\"type\" value=\"{value}\"{(Type == value ? " checked" : "")}>" +
        $" <label for=\"type-{value}\">{value} <span>{E(description)}</span></label></div>";
}
