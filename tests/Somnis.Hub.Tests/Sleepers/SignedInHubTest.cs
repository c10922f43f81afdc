namespace Somnis.Hub.Tests.Sleepers;

/// <summary>The real hub with a technician (tess) and a supervisor (sam) signed in over HTTP Basic; <see cref="Seed"/>
/// fills it before each test.</summary>
public abstract class SignedInHubTest : IAsyncLifetime
{
    private protected SignedInHubTest(Dictionary<string, string?>? settings = null, Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? services = null) =>
        Hub = new HubFactory(settings, services);

    private protected HubFactory Hub { get; }

    protected HttpClient Tess { get; private set; } = null!;

    protected HttpClient Sam { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Tess = Hub.CreateClient();
        Tess.DefaultRequestHeaders.Authorization = HubFactory.Basic("tess");
        Sam = Hub.CreateClient();
        Sam.DefaultRequestHeaders.Authorization = HubFactory.Basic("sam");
        await Seed();
    }

    public async Task DisposeAsync()
    {
        Tess.Dispose();
        Sam.Dispose();
        await Hub.DisposeAsync();
    }

    protected abstract Task Seed();

    /// <summary>Every path answers 401 without credentials.</summary>
    protected async Task AssertAnonymousRefused(params string[] paths)
    {
        using var anonymous = Hub.CreateClient();
        foreach (var path in paths)
        {
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri(path, UriKind.Relative))).StatusCode);
        }
    }
}
