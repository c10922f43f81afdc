using System.Net;
using System.Net.Sockets;

namespace Somnis.Integration.Tests.Infrastructure;

public static class Net
{
    /// <summary>A loopback port that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Waits until something accepts TCP connections on the port.</summary>
    public static async Task WaitForListenerAsync(int port, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, cts.Token);
            }
        }
    }
}

/// <summary>Waits for a condition with a timeout (polling a real system's observable state, never a fixed sleep).</summary>
public static class Eventually
{
    // How often the condition is re-checked; the wait itself ends on the condition or the timeout.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what)
        where T : class
    {
        using var cts = new CancellationTokenSource(timeout);
        Exception? last = null;
        while (!cts.IsCancellationRequested)
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                last = ex;
            }

            try
            {
                await Task.Delay(PollInterval, cts.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}" + (last is null ? "" : $" (last error: {last.Message})"));
    }

    public static Task UntilAsync(Func<Task<bool>> probe, TimeSpan timeout, string what) =>
        UntilAsync<object>(async () => await probe() ? new object() : null, timeout, what);

    /// <summary>
    /// Waits for a condition on a system that may be slow (a loaded machine) but keeps moving: fails only when the
    /// progress measure has not changed for <paramref name="stall"/>, or after <paramref name="max"/> in all. A hub
    /// draining a backlog at a tenth of its usual speed is slow, not broken; one that stopped is broken.
    /// </summary>
    public static async Task<T> WhileProgressingAsync<T>(Func<Task<T>> probe, Func<T, bool> done, Func<T, long> progress, TimeSpan stall, TimeSpan max, string what)
    {
        var total = System.Diagnostics.Stopwatch.StartNew();
        var still = System.Diagnostics.Stopwatch.StartNew();
        long? lastProgress = null;
        Exception? lastError = null;
        var lastValue = default(T);
        while (true)
        {
            try
            {
                var value = await probe();
                lastValue = value;
                if (done(value))
                {
                    return value;
                }

                var p = progress(value);
                if (p != lastProgress)
                {
                    lastProgress = p;
                    still.Restart();
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                lastError = ex;
            }

            if (still.Elapsed > stall || total.Elapsed > max)
            {
                var why = still.Elapsed > stall ? $"no progress for {stall.TotalSeconds:0} s" : $"still not done after {max.TotalSeconds:0} s";
                throw new TimeoutException($"{why} waiting for {what} (progress measure {lastProgress}; last value {lastValue})" + (lastError is null ? "" : $" (last error: {lastError.Message})"));
            }

            await Task.Delay(PollInterval);
        }
    }
}
