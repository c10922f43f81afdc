using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Somnis.Edge;

/// <summary>
/// Validates every option registered with ValidateOnStart before anything starts, and reports all failures at once,
/// each naming the option (flag or configuration key) and its allowed range.
/// </summary>
public static class StartupValidation
{
    public static bool Passes(IServiceProvider services, string program)
    {
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
            return true;
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
    }
}
