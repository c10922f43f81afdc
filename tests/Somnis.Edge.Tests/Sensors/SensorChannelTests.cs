using Microsoft.Extensions.Logging.Abstractions;
using Somnis.Edge.Sensors;
using Somnis.Edge.Sensors.Processing;

namespace Somnis.Edge.Tests.Sensors;

/// <summary>The shape every sensor shares: a lazily opened driver, re-opened after a failure, and its health.</summary>
public sealed class SensorChannelTests
{
    private readonly List<Driver> _opened = [];
    private Func<double> _read = () => 36.5;
    private Exception? _openError;

    private SensorChannel<Driver> Channel() => new("bed-01", new SensorHealthTracker("skin-thermometer", 0, 50, 60), () =>
    {
        if (_openError is { } error)
        {
            throw error;
        }

        var d = new Driver(() => _read());
        _opened.Add(d);
        return d;
    }, NullLogger.Instance);

    private static SensorSecond<double> Read(SensorChannel<Driver> channel, double t, int samples = 1)
    {
        var second = new SensorSecond<double>(samples);
        for (var k = 0; k < samples; k++)
        {
            channel.Sample(t + (k / (double)samples), second, k, static d => d.Read());
        }

        return second;
    }

    [Fact]
    public void The_driver_is_opened_on_first_use_and_kept()
    {
        using var channel = Channel();
        Assert.Empty(_opened);
        var s = Read(channel, 0, samples: 4);

        Assert.Equal([36.5, 36.5, 36.5, 36.5], s.Values);
        Assert.True(channel.Check(s));
        Assert.Single(_opened);
        Assert.True(channel.Health.EndInterval().Healthy);
    }

    [Fact]
    public void A_failed_read_ends_the_second_drops_the_driver_and_reopens_it_after_the_retry_time()
    {
        using var channel = Channel();
        var calls = 0;
        _read = () => ++calls == 2 ? throw new IOException("bus error") : 36.5;

        var failed = Read(channel, 0, samples: 4);
        Assert.IsType<IOException>(failed.Error);
        Assert.Equal(2, calls); // the remaining samples of the second were not attempted
        Assert.True(_opened[0].Disposed);
        Assert.False(channel.Check(failed));
        Assert.Equal(FaultReasons.Exception, channel.Health.EndInterval().Reason);

        // Until the retry time the channel does not touch the bus: the sensor is "not responding".
        var waiting = Read(channel, SensorChannel<Driver>.RetrySeconds - 1);
        Assert.Same(SensorSecond.NotResponding, waiting.Error);
        Assert.False(channel.Check(waiting));
        Assert.Equal(FaultReasons.NotResponding, channel.Health.EndInterval().Reason);
        Assert.Single(_opened);

        // The failure was at the second sample, 0.25 s into the second.
        var back = Read(channel, 0.25 + SensorChannel<Driver>.RetrySeconds);
        Assert.Null(back.Error);
        Assert.Equal(2, _opened.Count);
    }

    [Fact]
    public void A_driver_that_cannot_be_opened_is_tried_again_only_after_the_retry_time()
    {
        using var channel = Channel();
        _openError = new IOException("no acknowledge");
        Assert.Equal(_openError, Read(channel, 0).Error);

        _openError = null;
        Assert.Same(SensorSecond.NotResponding, Read(channel, 5).Error);
        Assert.Null(Read(channel, SensorChannel<Driver>.RetrySeconds).Error);
    }

    [Fact]
    public void A_checksum_error_is_reported_as_crc()
    {
        using var channel = Channel();
        _read = () => throw new CrcException("PEC mismatch");
        Assert.False(channel.Check(Read(channel, 0)));
        Assert.Equal(FaultReasons.Crc, channel.Health.EndInterval().Reason);
    }

    [Fact]
    public void An_output_through_a_failed_second_is_not_attempted()
    {
        using var channel = Channel();
        var second = new SensorSecond<double>(1) { Error = new IOException("earlier") };
        var written = false;
        channel.Drive(0, second, true, (_, _) => written = true);
        Assert.False(written);
        Assert.Empty(_opened);
    }

    internal sealed class Driver(Func<double> read) : IDisposable
    {
        public bool Disposed { get; private set; }

        public double Read() => read();

        public void Dispose() => Disposed = true;
    }
}
