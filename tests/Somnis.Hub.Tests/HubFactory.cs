using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Somnis.Hub.Auth;

namespace Somnis.Hub.Tests;

/// <summary>The hub in process, found through a type of its assembly (serve mode, embedded broker on a free port, own data directory, two users).</summary>
internal sealed class HubFactory : WebApplicationFactory<HubOptions>
{
    public const string Password = "correct-horse";
    private static readonly string TechnicianHash = Passwords.Hash(Password);
    private static readonly string SupervisorHash = Passwords.Hash(Password);
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="services">Replaces services after the hub's own registrations (a fake clock, say).</param>
    public HubFactory(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        _services = services;
        DataDirectory = Directory.CreateTempSubdirectory("somnis-hubtest-").FullName;
        _settings = new()
        {
            ["Hub:DataDirectory"] = DataDirectory,
            ["Broker:EmbeddedPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Auth:Users:0:Name"] = "tess",
            ["Auth:Users:0:Role"] = Roles.Technician,
            ["Auth:Users:0:PasswordHash"] = TechnicianHash,
            ["Auth:Users:1:Name"] = "sam",
            ["Auth:Users:1:Role"] = Roles.Supervisor,
            ["Auth:Users:1:PasswordHash"] = SupervisorHash,
        };
        foreach (var (k, v) in settings ?? [])
        {
            _settings[k] = v;
        }
    }

    public string DataDirectory { get; }

    /// <summary>Serves on Kestrel on a loopback port (real HTTP, for clients that need a socket) and returns its address.</summary>
    public Uri ServeOnKestrel()
    {
        UseKestrel(0);
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
    }

    public static AuthenticationHeaderValue Basic(string user, string password = Password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (k, v) in _settings)
        {
            builder.UseSetting(k, v);
        }

        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
