namespace Somnis.Edge;

/// <summary>
/// Holds a process's beds back until the host has done something first: the hub's <c>demo</c> writes its sleepers' past
/// nights before their live night begins, so tonight follows yesterday on the device clocks. Only such a host registers
/// one; without it the beds start at once. The device clocks start when the gate opens.
/// </summary>
/// <param name="reason">What the beds wait for, for the log.</param>
internal sealed class EdgeStartGate(string reason)
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Reason { get; } = reason;

    public bool IsOpen => _open.Task.IsCompleted;

    /// <summary>Lets the beds start (again calls do nothing).</summary>
    public void Open() => _open.TrySetResult();

    public Task WaitAsync(CancellationToken cancellationToken) => _open.Task.WaitAsync(cancellationToken);
}
