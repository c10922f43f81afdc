using Microsoft.Playwright;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests;

/// <summary>
/// Users as a supervisor and a technician manage them in Chromium, under the strict Content-Security-Policy
/// (<see cref="StrictCsp"/>): the supervisor adds a technician from the users page, the technician signs in, changes
/// their own password and watches the console; the supervisor removes them, and their console goes to the sign-in page
/// by itself (the hub ended the live feed and the session).
/// </summary>
[Collection("processes")]
public sealed class UsersBrowserTests
{
    private const int Timeout = 30_000;

    [Fact]
    public async Task A_supervisor_adds_a_technician_from_the_page_who_signs_in_and_is_signed_out_when_removed()
    {
        await using var hub = await HubProcess.StartAsync("--beds", "0");
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        await using var supervisorContext = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        await using var technicianContext = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        var supervisorCsp = await StrictCsp.ApplyAsync(supervisorContext);
        var technicianCsp = await StrictCsp.ApplyAsync(technicianContext);

        // The supervisor adds tina from the users page (reached from the header of every page).
        var supervisor = await supervisorContext.NewPageAsync();
        await SignInAsync(supervisor, hub.Url, "supervisor", "somnis-demo");
        await supervisor.GotoAsync(hub.Url + "/");
        await supervisor.ClickAsync("header a[href='/users.html']");
        await supervisor.WaitForSelectorAsync("body[data-users-loaded='true'] tr[data-user='supervisor'][data-role='supervisor']", new() { Timeout = Timeout });
        await supervisor.FillAsync("#add-form input[name=name]", "tina");
        await supervisor.SelectOptionAsync("#add-form select[name=role]", "technician");
        await supervisor.FillAsync("#add-form input[name=password]", "tina-password-1");
        await supervisor.ClickAsync("#add-form button[type=submit]");
        await supervisor.WaitForSelectorAsync("tr[data-user='tina'][data-role='technician']", new() { Timeout = Timeout });
        await Assertions.Expect(supervisor.Locator("#add-status")).ToHaveTextAsync("Added tina (technician).", new() { Timeout = Timeout });

        // A taken name is refused on the page with the hub's reason.
        await supervisor.FillAsync("#add-form input[name=name]", "TINA");
        await supervisor.FillAsync("#add-form input[name=password]", "another-password-1");
        await supervisor.ClickAsync("#add-form button[type=submit]");
        await Assertions.Expect(supervisor.Locator("#add-status[data-state='error']")).ToContainTextAsync("the user name 'TINA' is taken", new() { Timeout = Timeout });
        await Browser.ScreenshotAsync(supervisor, "users.png");

        // Tina signs in, changes her own password on the users page (no user list for a technician), then watches the console.
        var technician = await technicianContext.NewPageAsync();
        await SignInAsync(technician, hub.Url, "tina", "tina-password-1");
        await technician.GotoAsync(hub.Url + "/users.html");
        await technician.WaitForSelectorAsync("body[data-ready='true']", new() { Timeout = Timeout });
        await Assertions.Expect(technician.Locator("#not-supervisor")).ToBeVisibleAsync(new() { Timeout = Timeout });
        await Assertions.Expect(technician.Locator("#manage")).ToBeHiddenAsync(new() { Timeout = Timeout });
        await technician.FillAsync("#password-form input[name=current]", "tina-password-1");
        await technician.FillAsync("#password-form input[name=new]", "tina-new-password");
        await technician.FillAsync("#password-form input[name=repeat]", "tina-new-password");
        await technician.ClickAsync("#password-form button[type=submit]");
        await Assertions.Expect(technician.Locator("#password-status[data-state='done']")).ToContainTextAsync("Password changed", new() { Timeout = Timeout });
        await technician.GotoAsync(hub.Url + "/");
        await technician.WaitForSelectorAsync("#connection[data-state='live']", new() { Timeout = Timeout });

        // The supervisor removes her (confirming the browser's question); her console ends up on the sign-in page.
        supervisor.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await supervisor.ClickAsync("tr[data-user='tina'] button[data-action='remove']");
        await supervisor.WaitForSelectorAsync("tr[data-user='tina']", new() { State = WaitForSelectorState.Detached, Timeout = Timeout });
        await technician.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/login", new() { Timeout = Timeout });

        // And her password no longer signs in.
        await SignInAsync(technician, hub.Url, "tina", "tina-new-password", succeeds: false);
        await Assertions.Expect(technician.Locator("[role=alert]")).ToContainTextAsync("Wrong user name or password", new() { Timeout = Timeout });

        Assert.Empty(supervisorCsp.Problems);
        Assert.Empty(technicianCsp.Problems);
        Assert.Contains("GET /users.html", supervisorCsp.Pages);
        Assert.Contains("GET /users.html", technicianCsp.Pages);
    }

    /// <summary>Signs in on the sign-in page itself (navigated to, so it is served under the policy).</summary>
    private static async Task SignInAsync(IPage page, string url, string user, string password, bool succeeds = true)
    {
        await page.GotoAsync(url + "/login");
        await page.FillAsync("input[name=username]", user);
        await page.FillAsync("input[name=password]", password);
        await page.ClickAsync("button[type=submit]");
        if (succeeds)
        {
            await page.WaitForURLAsync(url + "/", new() { Timeout = Timeout });
        }
    }
}
