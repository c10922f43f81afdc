using System.Device.Gpio;

namespace Somnis.Edge.Sensors.Emulation;

/// <summary>
/// The Pi's GPIO lines as the bed sees them: the HC-SR501 output (input pin), the Architect's stimulation sense
/// line (input pin) and the interlock relay's keep-alive line (output pin; every rising edge retriggers the
/// relay's monostable). Unknown pins read low.
/// </summary>
internal sealed class EmulatedGpioDriver(EmulatedBed bed, int pirPin, int stimulationPin, int interlockPin) : GpioDriver
{
    public const string Chip = "gpio";

    private readonly Dictionary<int, PinMode> _modes = [];
    private readonly Dictionary<int, PinValue> _outputs = [];

    protected override int PinCount => 28;

    protected override void OpenPin(int pinNumber)
    {
        Check();
        _modes[pinNumber] = PinMode.Input;
    }

    protected override void ClosePin(int pinNumber)
    {
        _modes.Remove(pinNumber);
        _outputs.Remove(pinNumber);
    }

    protected override void SetPinMode(int pinNumber, PinMode mode) => _modes[pinNumber] = mode;

    protected override PinMode GetPinMode(int pinNumber) => _modes.TryGetValue(pinNumber, out var m) ? m : PinMode.Input;

    protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

    protected override PinValue Read(int pinNumber)
    {
        Check();
        if (pinNumber == pirPin)
        {
            return bed.PirLine ? PinValue.High : PinValue.Low;
        }

        if (pinNumber == stimulationPin)
        {
            return bed.StimulationLine ? PinValue.High : PinValue.Low;
        }

        return _outputs.TryGetValue(pinNumber, out var v) ? v : PinValue.Low;
    }

    protected override void Write(int pinNumber, PinValue value)
    {
        Check();
        var before = _outputs.TryGetValue(pinNumber, out var v) ? v : PinValue.Low;
        _outputs[pinNumber] = value;
        if (pinNumber == interlockPin && before == PinValue.Low && value == PinValue.High)
        {
            bed.RelayEdge();
        }
    }

    protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) =>
        new() { TimedOut = true, EventTypes = PinEventTypes.None };

    protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback)
    {
        // The readers poll the lines once per sample; edge callbacks are not emulated.
    }

    protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback)
    {
    }

    private void Check()
    {
        if (bed.FaultOf(Chip) == ChipFault.Nack)
        {
            throw new IOException("GPIO chip not available");
        }
    }
}
