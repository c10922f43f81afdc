using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>
/// Serves the hub's pages to a browser context under a strict Content-Security-Policy (docs/dashboard.md, "Browser
/// security") and records every violation: the policy is added to each page the browser loads (documents, routed
/// through Playwright), a script injected before any page script reports <c>securitypolicyviolation</c> events to the
/// console, and Chromium's own "Refused to …" messages and uncaught page errors are kept too.
/// Playwright does not route the request a redirect leads to: a test navigates to each page it checks itself, and
/// <see cref="Pages"/> says which pages were served with the policy.
/// </summary>
public sealed class StrictCsp
{
    public const string Policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

    private const string Marker = "CSP violation:";

    // Injected through the DevTools protocol, so the policy does not apply to it.
    private const string Reporter = """
        document.addEventListener('securitypolicyviolation', (e) =>
          console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile || location.pathname}:${e.lineNumber} ${e.sample || ''}`));
        """;

    private readonly ConcurrentQueue<string> _problems = new();
    private readonly ConcurrentDictionary<string, bool> _pages = new();

    private StrictCsp()
    {
    }

    /// <summary>Violations, refusals and page errors seen so far, in order.</summary>
    public IReadOnlyList<string> Problems => [.. _problems];

    /// <summary>Paths of the pages served with the policy so far (the test's proof that the header was really there).</summary>
    public IReadOnlyCollection<string> Pages => [.. _pages.Keys];

    public static async Task<StrictCsp> ApplyAsync(IBrowserContext context)
    {
        var csp = new StrictCsp();
        await context.AddInitScriptAsync(Reporter);
        await context.RouteAsync("**/*", async route =>
        {
            if (route.Request.ResourceType != "document")
            {
                await route.ContinueAsync();
                return;
            }

            // The same request (a form's POST too); a redirect goes back to the browser as it is.
            var response = await route.FetchAsync(new() { MaxRedirects = 0 });
            var headers = new Dictionary<string, string>(response.Headers, StringComparer.OrdinalIgnoreCase) { ["content-security-policy"] = Policy };
            if (response.Status is < 300 or >= 400)
            {
                csp._pages.TryAdd($"{route.Request.Method} {new Uri(route.Request.Url).AbsolutePath}", true);
            }

            await route.FulfillAsync(new() { Response = response, Headers = headers });
        });
        context.Page += (_, page) => csp.Watch(page);
        return csp;
    }

    private void Watch(IPage page)
    {
        page.Console += (_, message) =>
        {
            if (message.Text.StartsWith(Marker, StringComparison.Ordinal) || message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                _problems.Enqueue($"{page.Url}: {message.Text}");
            }
        };
        page.PageError += (_, error) => _problems.Enqueue($"{page.Url}: page error: {error}");
    }
}
