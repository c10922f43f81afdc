using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Somnis.Edge;

/// <summary>
/// The start of edge and hub, before the host runs: validates every option registered with ValidateOnStart and reports all
/// failures at once, each naming the option (flag or configuration key) and its allowed range; then, only if all are
/// valid, runs the <see cref="StartupStep"/>s. Validation reads and never writes; the steps are where the file system is
/// prepared.
/// </summary>
public static class StartupValidation
{
    public static bool Passes(IServiceProvider services, string program)
    {
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
        }
        catch (Exception ex) when (ex is OptionsValidationException or AggregateException)
        {
            var failures = ex is AggregateException agg
                ? agg.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures)
                : ((OptionsValidationException)ex).Failures;
            foreach (var failure in failures)
            {
                Console.Error.WriteLine($"{program}: invalid setting: {failure}");
            }

            return false;
        }
        catch (InvalidOperationException ex) when (ex.InnerException is FormatException or OverflowException)
        {
            // A value the configuration binder cannot convert (e.g. --history-nights many): the binder's message names
            // the key, the value and the type wanted.
            Console.Error.WriteLine($"{program}: invalid setting: {ex.Message}");
            return false;
        }

        var ready = true;
        foreach (var step in services.GetServices<StartupStep>())
        {
            if (step.Run(services) is { } problem)
            {
                Console.Error.WriteLine($"{program}: cannot start: {problem}");
                ready = false;
            }
        }

        return ready;
    }

    /// <summary>Registers what a component must have ready before the host starts (see <see cref="StartupStep"/>).</summary>
    public static IServiceCollection AddStartupStep(this IServiceCollection services, Func<IServiceProvider, string?> run) =>
        services.AddSingleton(new StartupStep(run));
}

/// <summary>
/// Something a component needs before the host starts, such as a directory it will write: it is created here, after the
/// options validated, so that validation has no side effects and a directory that cannot be made stops the start with a
/// message (exit code 2) instead of failing later inside a running host. <see cref="Run"/> returns the problem, naming the
/// setting, or null.
/// </summary>
public sealed record StartupStep(Func<IServiceProvider, string?> Run);
