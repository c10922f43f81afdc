using System.Text;
using Somnis.Hub.Ingestion;

namespace Somnis.Hub.Tests.Ingestion;

public sealed class DeliveryCheckpointFileTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("somnis-checkpoint-").FullName;
    private readonly TestLogger<DeliveryTracker> _log = new();

    public void Dispose() => Directory.Delete(_data, recursive: true);

    private string PathOf(string name = "delivery.json") => Path.Combine(_data, name);

    private static byte[] Entry(string bed) => Encoding.UTF8.GetBytes($$"""{"facility":"nexus","bed":"{{bed}}","lastSequence":3}""");

    [Fact]
    public void Without_a_file_there_is_nothing_to_load()
    {
        Assert.Empty(new DeliveryCheckpointFile(PathOf(), _log).Load());
        Assert.Empty(_log.Lines);
    }

    [Fact]
    public void A_save_replaces_the_file_whole_and_is_loaded_back()
    {
        var file = new DeliveryCheckpointFile(Path.Combine(_data, "new", "delivery.json"), _log);
        file.Write([Entry("bed-01")]);
        file.Write([Entry("bed-01"), Entry("bed-02")]);

        Assert.Equal("""[{"facility":"nexus","bed":"bed-01","lastSequence":3},{"facility":"nexus","bed":"bed-02","lastSequence":3}]""", File.ReadAllText(file.Path));
        Assert.Equal(["delivery.json"], Directory.EnumerateFiles(Path.Combine(_data, "new")).Select(Path.GetFileName));
        Assert.Equal(["bed-01", "bed-02"], file.Load().Select(b => b.Bed));
        Assert.Contains(_log.Lines, l => l == $"Delivery state of 2 bed(s) loaded from {file.Path}");

        file.Write([]);
        Assert.Empty(file.Load());
    }

    [Fact]
    public void An_unreadable_file_is_moved_aside_and_logged_and_nothing_is_loaded()
    {
        File.WriteAllText(PathOf(), """[{"facility":"nexus","bed":"bed-01","lastSequence":""");
        var file = new DeliveryCheckpointFile(PathOf(), _log);

        Assert.Empty(file.Load());
        Assert.False(File.Exists(PathOf()));
        Assert.StartsWith("[{\"facility\"", File.ReadAllText(PathOf("delivery.json.corrupt")), StringComparison.Ordinal);
        Assert.Contains(_log.Lines, l => l.StartsWith($"Delivery state {PathOf()} is unreadable (", StringComparison.Ordinal) && l.EndsWith("accounting restarts", StringComparison.Ordinal));

        // The hub goes on saving as usual.
        file.Write([Entry("bed-01")]);
        Assert.Single(file.Load());
    }
}
