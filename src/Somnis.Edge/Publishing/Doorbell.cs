using System.Threading.Channels;

namespace Somnis.Edge.Publishing;

/// <summary>
/// Wakes a loop that waits for work (a bed's drain loop): rings coalesce, so at most one is pending, and a wait ends at
/// a ring or when its timeout on the injected clock runs out, whichever comes first.
/// </summary>
internal sealed class Doorbell(TimeProvider time)
{
    private readonly Channel<bool> _rings = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Ring() => _rings.Writer.TryWrite(true);

    /// <summary>Waits for a ring (taking it) or for <paramref name="timeout"/>; throws only when <paramref name="ct"/> is cancelled.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var timer = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        try
        {
            await _rings.Reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
    }
}
