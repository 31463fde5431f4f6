using System.Text;

namespace TokenService.WebConsole;

/// <summary>
/// The Console's one stylesheet and one script, served from /console (CSP 'self'; nothing inline). The script
/// only adds copy buttons: every action is a plain form and works without it.
/// </summary>
public static class ConsoleAssets
{
    private const string Css = """
        :root{--fg:#1b1f24;--muted:#4d5560;--line:#d0d5dc;--bg:#f5f6f8;--card:#fff;--accent:#1f4fbf;--danger:#a4161a;--ok:#1d6b34}
        *{box-sizing:border-box}
        [hidden]{display:none!important}
        body{margin:0;font:16px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
        a{color:var(--accent)}
        .skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:2}
        .top{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem;padding:.75rem 1.25rem;background:#12294f;color:#fff}
        .top a{color:#fff}.brand{font-weight:700;text-decoration:none}
        .top ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
        .top a[aria-current=page]{text-decoration:underline;text-underline-offset:.3em;font-weight:600}
        .signout{margin-left:auto;display:flex;gap:.5rem;align-items:center}
        .signout .link{color:#fff}
        main{max-width:72rem;margin:0 auto;padding:1.25rem}
        main.narrow{max-width:26rem;margin-top:8vh;background:var(--card);border-radius:8px;box-shadow:0 1px 4px #0002}
        h1{font-size:1.5rem;margin:.25rem 0 1rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
        .card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem;margin-bottom:1rem}
        .field{margin:.75rem 0}
        label,legend{display:block;font-weight:600}
        input[type=text],input[type=password],input[type=search],input[type=email],input[type=number],input:not([type]),textarea,select{
        """ + """
        width:100%;padding:.5rem;font:inherit;border:1px solid #767d87;border-radius:4px;background:#fff;color:var(--fg)}
        textarea{font-family:ui-monospace,monospace}
        [aria-invalid=true]{border-color:var(--danger);outline:1px solid var(--danger)}
        .hint{margin:.1rem 0 .25rem;color:var(--muted);font-size:.9rem}
        .field-error,.error{color:var(--danger);font-weight:600;margin:.25rem 0}
        .error-summary{border:2px solid var(--danger);border-radius:6px;padding:.5rem 1rem;background:#fff5f5}
        .notice{border:2px solid var(--ok);border-radius:6px;padding:.5rem 1rem;background:#f3fbf5}
        button,.button{display:inline-block;padding:.5rem 1rem;font:inherit;border:0;border-radius:4px;background:var(--accent);color:#fff;
        """ + """
        cursor:pointer;text-decoration:none}
        button.danger,.button.danger{background:var(--danger)}
        button.secondary{background:#fff;color:var(--accent);border:1px solid var(--accent)}
        button.link{background:none;padding:0;text-decoration:underline;color:var(--accent)}
        :focus-visible{outline:3px solid #f5a623;outline-offset:2px}
        table{width:100%;border-collapse:collapse;background:var(--card)}
        th,td{text-align:left;padding:.5rem;border-bottom:1px solid var(--line);vertical-align:top}
        .chip{display:inline-block;margin:0 .25rem .25rem 0;padding:0 .5rem;border-radius:1rem;background:#e4eaf7;color:#10306f;
        """ + """
        font-size:.85rem;white-space:nowrap}
        .scopes{border:1px solid var(--line);border-radius:6px;padding:.5rem 1rem}
        .scopes label{font-weight:400}.scopes span{color:var(--muted)}
        .toolbar{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-bottom:1rem}
        .toolbar .field{margin:0;flex:1 1 14rem}
        pre{background:#0f1720;color:#e6edf3;padding:.75rem;border-radius:6px;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
        code{font-family:ui-monospace,monospace}
        form.inline{display:inline}label.inline{display:inline;font-weight:400}
        .visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);white-space:nowrap}
        ul.card{list-style:none}ul.card li{margin:.25rem 0}
        .secret{font-family:ui-monospace,monospace}
        .empty{padding:1.5rem;text-align:center;color:var(--muted);background:var(--card);border:1px dashed var(--line);border-radius:8px}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0;word-break:break-all}
        @media (max-width:40rem){
          table,thead,tbody,tr,th,td{display:block}thead{position:absolute;left:-999px}
          tr{border-bottom:1px solid var(--line);padding:.5rem 0}td{border:0;padding:.15rem .5rem}
          td[data-label]::before{content:attr(data-label) ": ";font-weight:600}
          dl{grid-template-columns:1fr}.signout{margin-left:0}
        }
        """;

    private const string Js = """
        // Progressive enhancement only: reveal copy buttons and copy the named field's text.
        document.querySelectorAll('button[data-copy]').forEach(function (button) {
          button.hidden = false;
          button.addEventListener('click', function () {
            var source = document.getElementById(button.getAttribute('data-copy'));
            navigator.clipboard.writeText(source.value || source.textContent).then(function () { button.textContent = 'Copied'; });
          });
        });
        """;

    private static readonly byte[] CssBytes = Encoding.UTF8.GetBytes(Css);
    private static readonly byte[] JsBytes = Encoding.UTF8.GetBytes(Js);

    public static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/console.css", () => Asset(CssBytes, "text/css; charset=utf-8"));
        console.MapGet("/console.js", () => Asset(JsBytes, "text/javascript; charset=utf-8"));
    }

    private static IResult Asset(byte[] bytes, string contentType) => TypedResults.Bytes(bytes, contentType);
}
