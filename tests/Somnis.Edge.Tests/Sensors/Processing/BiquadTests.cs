using Somnis.Edge.Sensors.Processing;

namespace Somnis.Edge.Tests.Sensors.Processing;

public sealed class BiquadTests
{
    private const int Fs = 128;

    [Fact]
    public void Biquad_low_pass_passes_dc_and_high_pass_blocks_it()
    {
        var lp = Biquad.LowPass(Fs, 5);
        var hp = Biquad.HighPass(Fs, 5);
        double l = 0, h = 0;
        for (var i = 0; i < 2000; i++)
        {
            l = lp.Process(1);
            h = hp.Process(1);
        }

        Assert.Equal(1, l, 6);
        Assert.Equal(0, h, 6);
    }
}
