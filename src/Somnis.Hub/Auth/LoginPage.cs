using System.Net;

namespace Somnis.Hub.Auth;

/// <summary>
/// The sign-in page and its stylesheet, the only things served before sign-in. The style is a file of its own, not
/// inline, so the page works under a Content-Security-Policy of <c>style-src 'self'</c> (docs/dashboard.md).
/// </summary>
internal static class LoginPage
{
    public const string Stylesheet = """
        body { font-family: system-ui, sans-serif; background: #0f1720; color: #e6edf3; display: grid; place-items: center; min-height: 100vh; margin: 0; }
        form { background: #17212b; padding: 2rem; border-radius: 8px; width: min(22rem, 90vw); display: grid; gap: .75rem; }
        h1 { font-size: 1.3rem; margin: 0 0 .5rem; }
        label { display: grid; gap: .25rem; font-size: .9rem; }
        input { font-size: 1rem; padding: .5rem; border-radius: 4px; border: 1px solid #3b4b5c; background: #0f1720; color: inherit; }
        button { font-size: 1rem; padding: .6rem; border: 0; border-radius: 4px; background: #2f81f7; color: white; cursor: pointer; }
        .error { color: #ff7b72; margin: 0; }
        """;

    public static string Render(string? returnUrl, string? error) => $$"""
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>Sign in · Somnis Facility</title>
          <link rel="stylesheet" href="/login.css">
        </head>
        <body>
          <form method="post" action="/login">
            <h1>Somnis Facility</h1>
            {{(error is null ? "" : $"<p class=\"error\" role=\"alert\">{WebUtility.HtmlEncode(error)}</p>")}}
            <label>User name <input name="username" autocomplete="username" required autofocus></label>
            <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
            <input type="hidden" name="returnUrl" value="{{WebUtility.HtmlEncode(returnUrl ?? "/")}}">
            <button type="submit">Sign in</button>
          </form>
        </body>
        </html>
        """;
}
