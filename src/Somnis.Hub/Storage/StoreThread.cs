namespace Somnis.Hub.Storage;

/// <summary>
/// Runs a blocking shared-store call on a thread of its own, not on the thread pool. The store is called through Npgsql's
/// synchronous API, and against a store that hangs (a network black hole, not a refused connection) each call blocks its
/// thread until Npgsql's timeouts (seconds). The loops that keep calling it (lease keeper, alarm and night writers) would
/// then hold pool threads, which a small machine has about one per core of: the pool adds more only slowly, and every web
/// request, <c>/readyz</c> included, waited for one (2.6 s once). A thread per call costs far less than that at the rate
/// these loops call (a few per second).
/// </summary>
internal static class StoreThread
{
    public static Task<T> Run<T>(Func<T> call, CancellationToken ct = default) =>
        Task.Factory.StartNew(call, ct, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);

    public static Task Run(Action call, CancellationToken ct = default) =>
        Task.Factory.StartNew(call, ct, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
}
