using System.Device.Gpio;
using Iot.Device.Hcsr501;

namespace Somnis.Edge.Sensors.Drivers;

/// <summary>
/// The bed's GPIO lines on one controller: the PIR (HC-SR501), the Architect's stimulation sense line (downstream of
/// the interlock relay) and the relay's keep-alive output (hardware/architect-interlock/README.md). A pin below 0 is
/// not wired.
/// </summary>
internal sealed class GpioLines : IDisposable
{
    private readonly GpioController _controller;
    private readonly Hcsr501? _pir;
    private readonly int _stimulationPin;
    private readonly int _interlockPin;

    private GpioLines(GpioController controller, Hcsr501? pir, int stimulationPin, int interlockPin)
    {
        _controller = controller;
        _pir = pir;
        _stimulationPin = stimulationPin;
        _interlockPin = interlockPin;
    }

    /// <summary>Opens the controller and the wired pins.</summary>
    public static GpioLines Open(ISensorBuses buses, int pirPin, int stimulationPin, int interlockPin)
    {
        var gpio = buses.OpenGpio();
        try
        {
            if (stimulationPin >= 0)
            {
                gpio.OpenPin(stimulationPin, PinMode.InputPullDown);
            }

            if (interlockPin >= 0)
            {
                gpio.OpenPin(interlockPin, PinMode.Output, PinValue.Low);
            }

            return new GpioLines(gpio, pirPin >= 0 ? new Hcsr501(pirPin, gpio, shouldDispose: false) : null, stimulationPin, interlockPin);
        }
        catch
        {
            gpio.Dispose();
            throw;
        }
    }

    /// <summary>The PIR and the stimulation line now (false for a line that is not wired).</summary>
    public GpioReading Read() => new(
        _pir?.IsMotionDetected ?? false,
        _stimulationPin >= 0 && _controller.Read(_stimulationPin) == PinValue.High);

    /// <summary>Drives the relay's keep-alive line (rising edges retrigger its monostable; a steady level lets it drop).</summary>
    public void WriteKeepAlive(bool high) => _controller.Write(_interlockPin, high ? PinValue.High : PinValue.Low);

    public void Dispose()
    {
        _pir?.Dispose();
        _controller.Dispose();
    }
}

/// <summary>One reading of the GPIO lines.</summary>
internal readonly record struct GpioReading(bool Motion, bool Stimulating);
