namespace Somnis.Hub.Tests.Detection;

/// <summary>
/// A fact that needs the Walch 2019 development nights (<c>shared/data/walch2019-dev</c>, never copied into the
/// repository). It is skipped, saying why, when the data are not beside the checkout.
/// </summary>
public sealed class DevDataFactAttribute : FactAttribute
{
    public DevDataFactAttribute()
    {
        if (DevData.Directory is null)
        {
            Skip = "Walch 2019 development data not found: expected shared/data/walch2019-dev in a parent of "
                + AppContext.BaseDirectory + " (e.g. /work/shared beside the repository).";
        }
    }
}

internal static class DevData
{
    private static readonly Lazy<string?> Found = new(Locate);

    /// <summary>The data directory, or null when absent.</summary>
    public static string? Directory => Found.Value;

    private static string? Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "walch2019-dev");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
