using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Shared.Database;
using Shared.Http;
using Shared.Protocol;
using TokenService.Applications;
using TokenService.Issuance;
using TokenService.Token;
using TokenService.Users;

namespace TokenService.Authorize;

/// <summary>What the authorization endpoint works with (eShop's [AsParameters] bundle: one handler, many services).</summary>
public sealed record AuthorizeServices(
    ApplicationStore Applications,
    AuthorizationCodeStore Codes,
    LoginSessions Sessions,
    LoginThrottle Throttle,
    UserAccounts Accounts,
    UserStore Users,
    UserAccessStore Access,
    Audiences Audiences,
    IAntiforgery Antiforgery,
    IOptions<TokenServiceOptions> Options,
    TimeProvider Time,
    ILoggerFactory Loggers);

/// <summary>
/// GET/POST /oauth2/authorize (RFC 6749 s.4.1, RFC 7636, OIDC Core s.3.1.2). The story in order: find the client
/// and its exact redirect URI (else an error page, no redirect); validate the rest (errors go to the redirect URI
/// with state and iss, RFC 9207); a POST carrying username is the login form; otherwise a fresh enough session gets
/// a code at once, prompt=none without one gets login_required, and everyone else gets the login form.
/// </summary>
public static partial class AuthorizeEndpoint
{
    public const string Path = "/oauth2/authorize";

    public static IEndpointRouteBuilder MapAuthorize(this IEndpointRouteBuilder app)
    {
        // Antiforgery is checked by hand, and only for the login form: a client's own POST authorization request
        // (OIDC Core s.3.1.2.1) legitimately comes cross-site without a token.
        app.MapMethods(Path, [HttpMethods.Get, HttpMethods.Post], HandleAsync).DisableAntiforgery();
        return app;
    }

    public static async Task<Results<HtmlPage, AuthorizationRedirect>> HandleAsync(
        HttpContext context, [AsParameters] AuthorizeServices services, CancellationToken ct)
    {
        try
        {
            IFormCollection? form = null;
            if (HttpMethods.IsPost(context.Request.Method))
            {
                var (read, formError) = await TokenEndpoint.ReadFormAsync(context, ct);
                if (formError is not null)
                {
                    return LoginPage.Error("The request is not a well-formed form post.");
                }

                form = read;
            }

            var request = AuthorizeRequest.From(form ?? (IEnumerable<KeyValuePair<string, StringValues>>)context.Request.Query);
            var (application, pageError) = await request.FindClientAsync(services.Applications, ct);
            if (pageError is not null)
            {
                return LoginPage.Error(pageError);
            }

            var (valid, error) = request.Validate(application!, services.Audiences);
            if (error is not null)
            {
                return Redirect(context, request.RedirectUri!, services, (Parameters.Error, error.Error),
                    (Parameters.ErrorDescription, error.Description), (Parameters.State, request.State));
            }

            if (form is not null && form.ContainsKey(Parameters.Username))
            {
                return await SignInAsync(context, request, valid!, form, services, ct);
            }

            var (user, authTime) = await CurrentUserAsync(context, services, ct);
            var now = services.Time.GetUtcNow();
            // OIDC Core s.3.1.2.1: prompt=login and an exceeded max_age both demand a new sign-in.
            if (user is not null && !valid!.PromptLogin
                && (valid.MaxAge is null || now - authTime <= TimeSpan.FromSeconds(valid.MaxAge.Value)))
            {
                return await IssueCodeAsync(context, valid, user, authTime, services, ct);
            }

            if (valid!.PromptNone)
            {
                var loginRequired = OAuthError.LoginRequired();
                return Redirect(context, valid.RedirectUri, services, (Parameters.Error, loginRequired.Error),
                    (Parameters.ErrorDescription, loginRequired.Description), (Parameters.State, valid.State));
            }

            return Form(context, request, application!, services, username: null, failed: false);
        }
        catch (Exception e) when (Postgres.IsUnavailable(e))
        {
            LogUnavailable(services.Loggers.CreateLogger(typeof(AuthorizeEndpoint)), e.GetType().Name);
            return LoginPage.Error("Sign-in is temporarily unavailable. Try again in a moment.", StatusCodes.Status503ServiceUnavailable)
                with
            { RetryAfter = 1 };
        }
    }

    /// <summary>The login form's POST: antiforgery, rate limit, password; success starts a session and issues a code.</summary>
    private static async Task<Results<HtmlPage, AuthorizationRedirect>> SignInAsync(
        HttpContext context, AuthorizeRequest request, ValidAuthorizeRequest valid, IFormCollection form, AuthorizeServices services,
        CancellationToken ct)
    {
        if (!await services.Antiforgery.IsRequestValidAsync(context))
        {
            return LoginPage.Error("The sign-in form expired or did not come from this site. Go back to the application and start again.");
        }

        var username = form[Parameters.Username] is [{ } u] ? u.Trim() : "";
        var password = form[Parameters.Password] is [{ } p] ? p : "";
        var address = context.Connection.RemoteIpAddress;
        // Counted before the hash: of a concurrent burst of wrong passwords at most the limit reaches Argon2.
        var (attempt, wait) = services.Throttle.TryBegin(username, address);
        if (attempt is null)
        {
            return LoginPage.TooManyAttempts(wait!.Value);
        }

        var user = username.Length == 0 || password.Length == 0 ? null : await services.Accounts.CheckPasswordAsync(username, password, ct);
        var logger = services.Loggers.CreateLogger(typeof(AuthorizeEndpoint));
        if (user is null)
        {
            LogSignInFailed(logger, valid.Application.ClientId);
            return Form(context, request, valid.Application, services, username, failed: true);
        }

        services.Throttle.Succeeded(attempt.Value);
        var now = services.Time.GetUtcNow();
        services.Sessions.Write(context, user, now);
        LogSignedIn(logger, user.Id, valid.Application.ClientId);
        return await IssueCodeAsync(context, valid, user, now, services, ct);
    }

    private static async Task<(User? User, DateTimeOffset AuthTime)> CurrentUserAsync(HttpContext context, AuthorizeServices services,
        CancellationToken ct)
    {
        if (services.Sessions.Read(context.Request) is not { } session)
        {
            return (null, default);
        }

        // A deleted user, or one whose password changed since, has no session any more.
        var user = await services.Users.FindByIdAsync(session.UserId, ct);
        return user is not null && user.SessionVersion == session.SessionVersion ? (user, session.AuthTime) : (null, default);
    }

    /// <summary>
    /// The user is known: keep the privileged scopes their roles allow (issue 11 point 5) and pick the tenant their
    /// tokens carry (point 4); either can refuse, back at the redirect URI (RFC 6749 s.4.1.2.1). Then the code.
    /// </summary>
    private static async Task<Results<HtmlPage, AuthorizationRedirect>> IssueCodeAsync(
        HttpContext context, ValidAuthorizeRequest valid, User user, DateTimeOffset authTime, AuthorizeServices services,
        CancellationToken ct)
    {
        var access = await services.Access.GetAsync(user.Id, ct);
        var (scopes, refused) = Roles.Entitled(valid.Scopes, access.Roles, valid.ScopeNamed);
        var (tenant, tenantError) = TenantParameter.ForUser(valid.Tenant, access.Tenants, valid.Application.AllowedTenants);
        var problem = refused is not null
            ? OAuthError.InvalidScope($"scope {refused} needs a role this user does not hold")
            : scopes!.Length == 0 ? OAuthError.InvalidScope("this user may have none of the requested scopes") : tenantError;
        if (problem is not null)
        {
            return Redirect(context, valid.RedirectUri, services, (Parameters.Error, problem.Error),
                (Parameters.ErrorDescription, problem.Description),
                (Parameters.State, valid.State));
        }

        var code = await services.Codes.IssueAsync(new AuthorizationCode
        {
            Id = Guid.CreateVersion7(services.Time.GetUtcNow()),
            ClientId = valid.Application.ClientId,
            UserId = user.Id,
            RedirectUri = valid.RedirectUri,
            CodeChallenge = valid.CodeChallenge,
            Scopes = scopes!,
            Nonce = valid.Nonce,
            AuthTime = authTime.UtcDateTime,
            Tenant = tenant,
            Resource = valid.Resource,
        }, ct);
        return Redirect(context, valid.RedirectUri, services, (Parameters.Code, code), (Parameters.State, valid.State));
    }

    private static HtmlPage Form(
        HttpContext context, AuthorizeRequest request, Application application, AuthorizeServices services, string? username, bool failed)
    {
        var tokens = services.Antiforgery.GetAndStoreTokens(context);
        return LoginPage.Form(request, application.Name, tokens.FormFieldName, tokens.RequestToken!, username, failed);
    }

    /// <summary>RFC 6749 s.4.1.2 and s.4.1.2.1, RFC 9207: parameters appended to the registered URI, plus iss.</summary>
    private static AuthorizationRedirect Redirect(
        HttpContext context, string redirectUri, AuthorizeServices services, params (string Name, string? Value)[] parameters)
    {
        NoStore.Apply(context.Response);
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        var query = parameters.Where(p => p.Value is not null).Select(p => KeyValuePair.Create(p.Name, p.Value))
            .Append(KeyValuePair.Create(Parameters.Iss, (string?)services.Options.Value.IssuerTrimmed));
        return new AuthorizationRedirect(QueryHelpers.AddQueryString(redirectUri, query), HttpMethods.IsPost(context.Request.Method));
    }

    [LoggerMessage(3001, LogLevel.Information, "Sign-in failed for client {ClientId}")]
    private static partial void LogSignInFailed(ILogger logger, string clientId);

    [LoggerMessage(3002, LogLevel.Information, "User {UserId} signed in for client {ClientId}")]
    private static partial void LogSignedIn(ILogger logger, Guid userId, string clientId);

    [LoggerMessage(3003, LogLevel.Warning, "Authorization request could not be served: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}

/// <summary>A redirect to the client: 303 See Other after a POST (RFC 9700 s.4.12), else 302 Found.</summary>
public sealed record AuthorizationRedirect(string Url, bool SeeOther) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = SeeOther ? StatusCodes.Status303SeeOther : StatusCodes.Status302Found;
        httpContext.Response.Headers.Location = Url;
        return Task.CompletedTask;
    }
}
