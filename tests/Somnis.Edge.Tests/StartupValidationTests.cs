using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Somnis.Edge.Tests;

/// <summary>Validation reads and never writes; the journal directory is made by the journal's start-up step.</summary>
public sealed class StartupValidationTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "somnis-startup-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private static IHost Build(params string[] args)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddCommandLine(args, EdgeHost.SwitchMappings.ToDictionary());
        builder.AddSomnisEdge();
        return builder.Build();
    }

    [Fact]
    public void Validation_creates_no_journal_directory_and_the_start_up_step_does()
    {
        var journal = Path.Combine(_dir, "journal");
        using var host = Build("--journal", journal, "--bed", "bed-01");

        host.Services.GetRequiredService<IStartupValidator>().Validate();
        _ = new EdgeOptionsValidator().Validate(null, host.Services.GetRequiredService<IOptions<EdgeOptions>>().Value);
        Assert.False(Directory.Exists(_dir));

        Assert.True(StartupValidation.Passes(host.Services, "somnis-edge-test"));
        Assert.True(Directory.Exists(journal));
        Assert.Empty(Directory.GetFiles(journal));
    }

    [Fact]
    public void A_journal_directory_that_cannot_be_made_stops_the_start()
    {
        Directory.CreateDirectory(_dir);
        var file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "x");
        using var host = Build("--journal", Path.Combine(file, "journal"));
        Assert.False(StartupValidation.Passes(host.Services, "somnis-edge-test"));
    }

    [Fact]
    public void Steps_do_not_run_when_a_setting_is_invalid()
    {
        using var host = Build("--journal", Path.Combine(_dir, "journal"), "--speed", "0");
        Assert.False(StartupValidation.Passes(host.Services, "somnis-edge-test"));
        Assert.False(Directory.Exists(_dir));
    }
}
