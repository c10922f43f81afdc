using Somnis.Edge.Sensors.Processing;

namespace Somnis.Edge.Tests.Sensors.Processing;

/// <summary>Heart rate, respiration, presence and signal faults from the film, on synthetic signals without any chip.</summary>
public sealed class BcgProcessorTests
{
    private const int Fs = 128;

    private static double[] Second(int s, Func<double, double> signal)
    {
        var x = new double[Fs];
        for (var k = 0; k < Fs; k++)
        {
            x[k] = signal(s + ((double)k / Fs));
        }

        return x;
    }

    // A J-wave train at a fixed rate on top of breathing, as on the film.
    private static double Bcg(double t, double bpm, double breathsPerMinute)
    {
        var period = 60 / bpm;
        var tau = t % period;
        var beat = Math.Sin(2 * Math.PI * 7 * (tau - 0.084)) * Math.Exp(-Math.Pow((tau - 0.12) / 0.05, 2));
        return 1.65 + (0.15 * Math.Sin(2 * Math.PI * breathsPerMinute / 60 * t)) + (0.04 * beat);
    }

    [Theory]
    [InlineData(48, 12)]
    [InlineData(60, 15)]
    [InlineData(95, 20)]
    public void Heart_and_respiration_rates_of_a_clean_signal(double bpm, double rr)
    {
        var p = new BcgProcessor(Fs);
        BcgInterval last = null!;
        for (var s = 0; s < 60; s++)
        {
            p.AddSecond(Second(s, t => Bcg(t, bpm, rr)));
            if (s % 10 == 9)
            {
                last = p.EndInterval();
            }
        }

        Assert.True(last.Present);
        Assert.NotNull(last.HeartRate);
        Assert.InRange(last.HeartRate.Value, bpm - 1, bpm + 1);
        Assert.NotNull(last.RespirationRate);
        Assert.InRange(last.RespirationRate.Value, rr - 0.7, rr + 0.7);
        Assert.Equal(1.0, last.Quality, 2);
    }

    [Fact]
    public void Movement_burst_invalidates_its_seconds_instead_of_reporting_a_wrong_rate()
    {
        var rng = new Random(1);
        var p = new BcgProcessor(Fs);
        for (var s = 0; s < 30; s++)
        {
            p.AddSecond(Second(s, t => Bcg(t, 60, 15)));
        }

        p.EndInterval();
        var movement = 0;
        for (var s = 30; s < 40; s++)
        {
            movement += p.AddSecond(Second(s, t => Bcg(t, 60, 15) + (0.3 * (rng.NextDouble() - 0.5)))).Movement ? 1 : 0;
        }

        var r = p.EndInterval();
        Assert.Equal(10, movement);
        Assert.Null(r.HeartRate);
        Assert.Equal(0, r.Quality);
        Assert.True(r.Present);
    }

    [Fact]
    public void Empty_bed_is_not_present_and_a_dead_line_is_flat()
    {
        var rng = new Random(2);
        var p = new BcgProcessor(Fs);
        var empty = p.AddSecond(Second(0, _ => 1.65 + (0.003 * (rng.NextDouble() - 0.5) * 3.4)));
        Assert.False(empty.Present);
        Assert.False(empty.Broken);

        var flat = p.AddSecond(Second(1, _ => 1.65 + (0.0001 * (rng.NextDouble() - 0.5))));
        Assert.True(flat.FlatLine);

        var stale = p.AddSecond(Second(2, _ => 1.65));
        Assert.True(stale.Stale);

        var saturated = p.AddSecond(Second(3, _ => 4.096));
        Assert.True(saturated.OutOfRange);
        var r = p.EndInterval();
        Assert.Null(r.HeartRate);
        Assert.False(r.Present);
    }
}
