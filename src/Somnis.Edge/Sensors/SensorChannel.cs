using Microsoft.Extensions.Logging;
using Somnis.Edge.Sensors.Processing;

namespace Somnis.Edge.Sensors;

/// <summary>
/// One sensor of the bed: its driver adapter, opened lazily and re-opened <see cref="RetrySeconds"/> after it failed,
/// and its health. Sampling (<see cref="Sample{T}"/>, on the acquisition thread) and processing (<see cref="Check{T}"/>
/// and <see cref="Health"/>, on the caller of <c>Next</c>) share nothing but the <see cref="SensorSecond{T}"/>s handed
/// from one to the other, so they may run on different threads.
/// </summary>
internal sealed class SensorChannel<TDriver>(string bed, SensorHealthTracker health, Func<TDriver> open, ILogger logger) : IDisposable
    where TDriver : class, IDisposable
{
    /// <summary>Seconds before a failed driver is opened again.</summary>
    public const double RetrySeconds = 10;

    private TDriver? _driver;
    private double _retryAt;

    public SensorHealthTracker Health => health;

    /// <summary>
    /// Reads sample <paramref name="k"/> of <paramref name="second"/> through the driver at <paramref name="t"/> seconds.
    /// A failure is kept in the second (its remaining samples are skipped), logged, and the driver dropped until its retry.
    /// </summary>
    public void Sample<T>(double t, SensorSecond<T> second, int k, Func<TDriver, T> read)
    {
        if (second.Error is not null)
        {
            return;
        }

        try
        {
            second.Values[k] = read(Driver(t));
        }
        catch (Exception ex)
        {
            second.Error = ex;
            Drop(t, ex);
        }
    }

    /// <summary>Sets an output through the driver at <paramref name="t"/> seconds; a failure is handled as in <see cref="Sample{T}"/>.</summary>
    public void Drive<T, TValue>(double t, SensorSecond<T> second, TValue value, Action<TDriver, TValue> write)
    {
        if (second.Error is not null)
        {
            return;
        }

        try
        {
            write(Driver(t), value);
        }
        catch (Exception ex)
        {
            second.Error = ex;
            Drop(t, ex);
        }
    }

    /// <summary>False (and the sensor faulty for the interval, with the reason) when the second's reading failed.</summary>
    public bool Check<T>(SensorSecond<T> second)
    {
        if (second.Error is { } error)
        {
            health.Fail(SensorSecond.Reason(error));
            return false;
        }

        return true;
    }

    public void Dispose() => DisposeDriver();

    private TDriver Driver(double now)
    {
        if (_driver is null && now >= _retryAt)
        {
            try
            {
                _driver = open();
            }
            catch
            {
                _retryAt = now + RetrySeconds;
                throw;
            }
        }

        return _driver ?? throw SensorSecond.NotResponding;
    }

    private void Drop(double now, Exception error)
    {
        var waiting = ReferenceEquals(error, SensorSecond.NotResponding);
        if (_driver is not null || !waiting)
        {
            if (!waiting)
            {
                Log.SensorDriverFailed(logger, bed, health.Name, error.GetType().Name, error.Message);
            }

            DisposeDriver();
            _retryAt = now + RetrySeconds;
        }
    }

    private void DisposeDriver()
    {
        try
        {
            _driver?.Dispose();
        }
        catch (Exception)
        {
            // By design: a chip that vanished cannot be shut down cleanly; the handle is released anyway.
        }

        _driver = null;
    }
}

/// <summary>One second of one sensor: its samples, or the error that stopped them.</summary>
internal sealed class SensorSecond<T>(int samples)
{
    public T[] Values { get; } = new T[samples];

    public Exception? Error { get; set; }

    /// <summary>The single value of a once-a-second sensor.</summary>
    public T Value => Values[0];
}

/// <summary>What a failed reading means for the sensor's health.</summary>
internal static class SensorSecond
{
    /// <summary>Thrown for a driver that waits for its retry.</summary>
    public static readonly IOException NotResponding = new("sensor not responding; waiting to retry");

    public static string Reason(Exception e) => e switch
    {
        CrcException => FaultReasons.Crc,
        _ when ReferenceEquals(e, NotResponding) => FaultReasons.NotResponding,
        _ => FaultReasons.Exception,
    };
}
