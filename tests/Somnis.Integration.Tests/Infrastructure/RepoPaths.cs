namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>Finds the repository and the built programs next to the tests (same configuration as the tests).</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release, read from where this test assembly was built.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string EdgeDll => Built("Somnis.Edge");

    public static string HubDll => Built("Somnis.Hub");

    private static string Built(string project)
    {
        var path = Path.Combine(Root, "src", project, "bin", Configuration, "net10.0", project + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{project} is not built ({path}); run ./test.sh or dotnet build first");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Somnis.Facility.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Somnis.Facility.sln not found above " + AppContext.BaseDirectory);
    }
}
