using System.Device.Gpio;
using Iot.Device.Hcsr501;
using Somnis.Edge.Sensors.Emulation;

namespace Somnis.Edge.Tests.Sensors.Emulation;

/// <summary>The real HC-SR501 binding on the emulated GPIO (hardware/hcsr501/README.md).</summary>
public sealed class EmulatedGpioDriverTests
{
    private readonly EmulatedBed _bed = EmulatedNight.BedInBed();

    [Fact]
    public void Hcsr501_driver_sees_motion_only_after_strong_movement()
    {
        using var gpio = new GpioController(new EmulatedGpioDriver(_bed, 23, 24, 17));
        using var pir = new Hcsr501(23, gpio, shouldDispose: false);
        var sawMotion = false;
        var sawQuiet = false;
        for (var t = 2; t < 3600 && !(sawMotion && sawQuiet); t++)
        {
            _bed.AdvanceTo(t);
            var strong = _bed.Current.Movement >= 0.3;
            if (pir.IsMotionDetected)
            {
                sawMotion = true;
            }
            else
            {
                Assert.False(strong, "a strong movement must trigger the PIR");
                sawQuiet = true;
            }
        }

        Assert.True(sawMotion && sawQuiet);
    }
}
