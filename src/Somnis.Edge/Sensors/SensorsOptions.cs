using System.Globalization;
using Somnis.Contracts.Settings;

namespace Somnis.Edge.Sensors;

/// <summary>How far down a simulated or emulated bed is simulated (<c>--simulation-level</c>).</summary>
public enum SimulationLevel
{
    // 0 is left undefined: the configuration binder sees text that names no level as 0 (Spellings).

    /// <summary>The sleeper model is read out directly, cheap enough for fleets.</summary>
    Model = 1,

    /// <summary>The model drives emulated chips behind <c>I2cDevice</c>/<c>SpiDevice</c>/<c>GpioDriver</c>, and the real
    /// drivers and the real signal processing run on them.</summary>
    Chips = 2,
}

/// <summary>How far down a simulated or emulated bed is simulated, section <c>Edge:Simulation</c>.</summary>
public sealed class EdgeSimulationOptions : ISettingsSection
{
    /// <summary>
    /// <c>model</c>: the sleeper model is read out directly. <c>chips</c>: the real drivers on emulated chips
    /// (<c>--emulate-chips</c> or <c>--simulation-level chips</c>), read case-insensitively.
    /// </summary>
    /// <value><c>model</c> or <c>chips</c>. Default <c>model</c>.</value>
    [Defined(Flag = "--simulation-level")]
    public SimulationLevel Level { get; set; } = SimulationLevel.Model;

    string ISettingsSection.SectionPath => $"{EdgeOptions.Section}:Simulation";
}

/// <summary>
/// The sensors of this bed (hardware mode), section <c>Edge:Sensors</c>. A sensor section that is absent means the
/// sensor is not fitted; <c>Bcg</c> is required. See hardware/README.md for the wiring these defaults assume.
/// </summary>
public sealed class SensorsOptions
{
    /// <summary>Piezo film ADC: <c>ads1115</c> (I²C; Bus, Address 0x48–0x4B, Channel 0–3) or <c>mcp3008</c> (SPI; Bus, ChipSelect, Channel 0–7).</summary>
    public SensorOptions? Bcg { get; set; }

    /// <summary>Bed-frame accelerometer: <c>mpu6050</c> (I²C; Bus, Address 0x68/0x69).</summary>
    public SensorOptions? Accelerometer { get; set; }

    /// <summary>Contact-free skin thermometer: <c>mlx90614</c> (I²C/SMBus; Bus, Address, default 0x5A).</summary>
    public SensorOptions? SkinThermometer { get; set; }

    /// <summary>Room temperature and humidity: <c>bme280</c> (I²C; Bus, Address 0x76/0x77).</summary>
    public SensorOptions? RoomClimate { get; set; }

    /// <summary>Optional bed-exit/room motion: <c>hcsr501</c> (GPIO; Pin).</summary>
    public SensorOptions? Pir { get; set; }

    /// <summary>The Architect's stimulation sense line and interlock relay (GPIO).</summary>
    public ArchitectOptions? Architect { get; set; }
}

/// <summary>One sensor's chip and where it is connected.</summary>
public sealed class SensorOptions
{
    /// <summary>Chip name, e.g. <c>ads1115</c>.</summary>
    public string? Chip { get; set; }

    /// <summary>I²C bus number (<c>/dev/i2c-N</c>, 1 on a Raspberry Pi) or SPI bus number (<c>/dev/spidevN.CS</c>).</summary>
    public int? Bus { get; set; }

    /// <summary>7-bit I²C address, hexadecimal (<c>0x48</c>) or decimal, 0x03–0x77.</summary>
    public string? Address { get; set; }

    /// <summary>SPI chip select (0 or 1).</summary>
    public int? ChipSelect { get; set; }

    /// <summary>ADC input channel.</summary>
    public int? Channel { get; set; }

    /// <summary>GPIO pin, BCM numbering (2–27).</summary>
    public int? Pin { get; set; }
}

/// <summary>The Dream Architect's lines (hardware/README.md, "Architect interlock").</summary>
public sealed class ArchitectOptions
{
    /// <summary>GPIO input (BCM) that is high while the Architect actually stimulates (sensed after the relay).</summary>
    public int? StimulationPin { get; set; }

    /// <summary>GPIO output (BCM) that keeps the interlock relay's monostable triggered while stimulation is permitted.</summary>
    public int? InterlockPin { get; set; }

    /// <summary>Start with the interlock engaged (stimulation cut) until somebody releases it; default false.</summary>
    public bool EngageAtStart { get; set; }
}

/// <summary>Start-up checks of <c>Edge:Sensors</c>; every message names the setting.</summary>
internal static class SensorsOptionsValidator
{
    public static readonly IReadOnlyDictionary<string, string[]> ChipsPerRole = new Dictionary<string, string[]>
    {
        [nameof(SensorsOptions.Bcg)] = ["ads1115", "mcp3008"],
        [nameof(SensorsOptions.Accelerometer)] = ["mpu6050"],
        [nameof(SensorsOptions.SkinThermometer)] = ["mlx90614"],
        [nameof(SensorsOptions.RoomClimate)] = ["bme280"],
        [nameof(SensorsOptions.Pir)] = ["hcsr501"],
    };

    // Addresses each chip can be strapped to (datasheets).
    private static readonly Dictionary<string, int[]> ChipAddresses = new()
    {
        ["ads1115"] = [0x48, 0x49, 0x4A, 0x4B],
        ["mpu6050"] = [0x68, 0x69],
        ["bme280"] = [0x76, 0x77],
    };

    // Header pins the buses take (Raspberry Pi: I²C-1 on GPIO 2/3, SPI0 on GPIO 7–11).
    private static readonly Dictionary<int, string> BusPins = new()
    {
        [2] = "I2C-1 SDA", [3] = "I2C-1 SCL", [7] = "SPI0 CE1", [8] = "SPI0 CE0", [9] = "SPI0 MISO", [10] = "SPI0 MOSI", [11] = "SPI0 SCLK",
    };

    /// <summary>Validates the sensor section. <paramref name="deviceExists"/> checks device nodes (real chips only).</summary>
    public static void Validate(SensorsOptions? sensors, bool emulated, Func<string, bool> deviceExists, List<string> errors)
    {
        const string Root = "Edge:Sensors";
        if (sensors is null)
        {
            errors.Add($"{Root} is missing: hardware mode needs the sensor configuration (hardware/README.md)");
            return;
        }

        if (sensors.Bcg is null)
        {
            errors.Add($"{Root}:Bcg is missing: the bed sensor (piezo film ADC, ads1115 or mcp3008) is required");
        }

        var pins = new Dictionary<int, string>();
        var addresses = new Dictionary<(int, int), string>();
        var usesI2c = false;
        var usesSpi0 = false;
        foreach (var (role, sensor) in Roles(sensors))
        {
            var key = $"{Root}:{role}";
            var allowed = ChipsPerRole[role];
            var chip = sensor.Chip?.Trim().ToLowerInvariant();
            if (string.IsNullOrEmpty(chip))
            {
                errors.Add($"{key}:Chip is missing (allowed: {string.Join(", ", allowed)})");
                continue;
            }

            if (!allowed.Contains(chip))
            {
                errors.Add($"{key}:Chip: unknown chip '{sensor.Chip}' (allowed: {string.Join(", ", allowed)})");
                continue;
            }

            switch (chip)
            {
                case "hcsr501":
                    CheckPin($"{key}:Pin", sensor.Pin, pins, errors);
                    break;
                case "mcp3008":
                    usesSpi0 |= sensor.Bus == 0;
                    if (sensor.Bus is not { } spiBus)
                    {
                        errors.Add($"{key}:Bus is missing (the SPI bus number, 0 on a Raspberry Pi)");
                    }
                    else if (spiBus is < 0 or > 6)
                    {
                        errors.Add($"{key}:Bus must be between 0 and 6 (got {spiBus})");
                    }

                    if (sensor.ChipSelect is not (0 or 1))
                    {
                        errors.Add($"{key}:ChipSelect must be 0 or 1 (got {sensor.ChipSelect?.ToString(CultureInfo.InvariantCulture) ?? "nothing"})");
                    }

                    if (sensor.Channel is not (>= 0 and <= 7))
                    {
                        errors.Add($"{key}:Channel must be between 0 and 7 (got {sensor.Channel?.ToString(CultureInfo.InvariantCulture) ?? "nothing"})");
                    }

                    if (!emulated && sensor.Bus is { } b && sensor.ChipSelect is { } cs && !deviceExists($"/dev/spidev{b}.{cs}"))
                    {
                        errors.Add($"{key}:Bus: /dev/spidev{b}.{cs} does not exist (enable SPI: raspi-config → Interface Options → SPI)");
                    }

                    break;
                default:
                    usesI2c = true;
                    CheckI2c(key, chip, sensor, emulated, deviceExists, addresses, errors);
                    if (chip == "ads1115" && sensor.Channel is not (null or (>= 0 and <= 3)))
                    {
                        errors.Add($"{key}:Channel must be between 0 and 3 (got {sensor.Channel})");
                    }

                    break;
            }
        }

        if (sensors.Architect is { } architect)
        {
            CheckPin($"{Root}:Architect:StimulationPin", architect.StimulationPin, pins, errors);
            CheckPin($"{Root}:Architect:InterlockPin", architect.InterlockPin, pins, errors);
        }

        foreach (var (pin, setting) in pins)
        {
            if (BusPins.TryGetValue(pin, out var function) && ((usesI2c && pin is 2 or 3) || (usesSpi0 && pin is >= 7 and <= 11)))
            {
                errors.Add($"{setting}: GPIO {pin} is already used as {function}");
            }
        }

        if (!emulated && pins.Count > 0 && !deviceExists("/dev/gpiochip0"))
        {
            errors.Add($"{Root}: /dev/gpiochip0 does not exist, but {string.Join(", ", pins.Values)} need GPIO");
        }
    }

    /// <summary>Parses <c>0x48</c> or <c>72</c>.</summary>
    public static bool TryParseAddress(string? text, out int address)
    {
        address = 0;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        return text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out address)
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out address);
    }

    internal static IEnumerable<(string Role, SensorOptions Sensor)> Roles(SensorsOptions s)
    {
        if (s.Bcg is { } bcg)
        {
            yield return (nameof(s.Bcg), bcg);
        }

        if (s.Accelerometer is { } acc)
        {
            yield return (nameof(s.Accelerometer), acc);
        }

        if (s.SkinThermometer is { } skin)
        {
            yield return (nameof(s.SkinThermometer), skin);
        }

        if (s.RoomClimate is { } room)
        {
            yield return (nameof(s.RoomClimate), room);
        }

        if (s.Pir is { } pir)
        {
            yield return (nameof(s.Pir), pir);
        }
    }

    private static void CheckI2c(string key, string chip, SensorOptions sensor, bool emulated, Func<string, bool> deviceExists, Dictionary<(int, int), string> addresses, List<string> errors)
    {
        if (sensor.Bus is not { } bus)
        {
            errors.Add($"{key}:Bus is missing (the I2C bus number, 1 on a Raspberry Pi)");
            return;
        }

        if (bus is < 0 or > 22)
        {
            errors.Add($"{key}:Bus must be between 0 and 22 (got {bus})");
            return;
        }

        if (!emulated && !deviceExists($"/dev/i2c-{bus}"))
        {
            errors.Add($"{key}:Bus: /dev/i2c-{bus} does not exist (enable I2C: raspi-config → Interface Options → I2C)");
        }

        if (!TryParseAddress(sensor.Address, out var address))
        {
            errors.Add($"{key}:Address is missing or not a number (write it as 0x48)");
            return;
        }

        if (address is < 0x03 or > 0x77)
        {
            errors.Add($"{key}:Address must be between 0x03 and 0x77 (got 0x{address:X2})");
            return;
        }

        if (ChipAddresses.TryGetValue(chip, out var possible) && !possible.Contains(address))
        {
            errors.Add($"{key}:Address 0x{address:X2} is not an address a {chip} can have ({string.Join(", ", possible.Select(a => $"0x{a:X2}"))})");
        }

        if (addresses.TryGetValue((bus, address), out var other))
        {
            errors.Add($"{key}:Address 0x{address:X2} on bus {bus} is already used by {other}");
        }
        else
        {
            addresses[(bus, address)] = key;
        }
    }

    private static void CheckPin(string key, int? pin, Dictionary<int, string> pins, List<string> errors)
    {
        if (pin is not { } p)
        {
            errors.Add($"{key} is missing (a GPIO number, BCM numbering, 2-27)");
            return;
        }

        if (p is < 2 or > 27)
        {
            errors.Add($"{key} must be between 2 and 27 (BCM numbering; got {p})");
            return;
        }

        if (pins.TryGetValue(p, out var other))
        {
            errors.Add($"{key}: GPIO {p} is already used by {other}");
            return;
        }

        pins[p] = key;
    }
}
