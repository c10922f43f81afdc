using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Somnis.Edge.Sensors;

namespace Somnis.Edge.Tests.Sensors;

/// <summary>Start-up validation of <c>Edge:Sensors</c> and the simulation level; every message names the setting.</summary>
public sealed class SensorsOptionsTests
{
    internal static EdgeOptions Bind(params (string Key, string? Value)[] settings)
    {
        var pairs = new Dictionary<string, string?>
        {
            ["Edge:Mode"] = "hardware",
            ["Edge:Simulation:Level"] = "chips",
            ["Edge:Sensors:Bcg:Chip"] = "ads1115",
            ["Edge:Sensors:Bcg:Bus"] = "1",
            ["Edge:Sensors:Bcg:Address"] = "0x48",
            ["Edge:Sensors:Accelerometer:Chip"] = "mpu6050",
            ["Edge:Sensors:Accelerometer:Bus"] = "1",
            ["Edge:Sensors:Accelerometer:Address"] = "0x68",
            ["Edge:Sensors:Pir:Chip"] = "hcsr501",
            ["Edge:Sensors:Pir:Pin"] = "23",
            ["Edge:Sensors:Architect:StimulationPin"] = "24",
            ["Edge:Sensors:Architect:InterlockPin"] = "17",
        };
        foreach (var (k, v) in settings)
        {
            pairs[k] = v;
        }

        var o = new EdgeOptions();
        EdgeOptions.Spelled(new ConfigurationBuilder().AddInMemoryCollection(pairs).Build().GetSection(EdgeOptions.Section)).Bind(o);
        return o;
    }

    private static IReadOnlyList<string> Errors(EdgeOptions o) =>
        new EdgeOptionsValidator().Validate(null, o) is { Failed: true } r ? [.. r.Failures!] : [];

    [Fact]
    public void Standard_wiring_on_emulated_chips_is_valid()
    {
        Assert.Empty(Errors(Bind()));
    }

    [Fact]
    public void Shipped_appsettings_wiring_is_valid_on_emulated_chips()
    {
        var o = new EdgeOptions();
        EdgeOptions.Spelled(new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build().GetSection(EdgeOptions.Section)).Bind(o);
        o.Mode = EdgeMode.Hardware;
        o.Simulation.Level = SimulationLevel.Chips;
        Assert.Empty(Errors(o));
    }

    [Theory]
    [InlineData("Edge:Sensors:Bcg:Chip", "ads1015", "Edge:Sensors:Bcg:Chip: unknown chip 'ads1015'")]
    [InlineData("Edge:Sensors:Accelerometer:Address", "0x78", "Edge:Sensors:Accelerometer:Address must be between 0x03 and 0x77")]
    [InlineData("Edge:Sensors:Accelerometer:Address", "0x02", "Edge:Sensors:Accelerometer:Address must be between 0x03 and 0x77")]
    [InlineData("Edge:Sensors:Accelerometer:Address", "0x48", "Edge:Sensors:Accelerometer:Address 0x48 is not an address a mpu6050 can have")]
    [InlineData("Edge:Sensors:Accelerometer:Bus", null, "Edge:Sensors:Accelerometer:Bus is missing")]
    [InlineData("Edge:Sensors:Pir:Pin", "24", "Edge:Sensors:Architect:StimulationPin: GPIO 24 is already used by Edge:Sensors:Pir:Pin")]
    [InlineData("Edge:Sensors:Pir:Pin", "2", "Edge:Sensors:Pir:Pin: GPIO 2 is already used as I2C-1 SDA")]
    [InlineData("Edge:Sensors:Pir:Pin", "40", "Edge:Sensors:Pir:Pin must be between 2 and 27")]
    [InlineData("Edge:Sensors:Bcg:Chip", null, "Edge:Sensors:Bcg:Chip is missing")]
    [InlineData("Edge:Simulation:Level", "atoms", "--simulation-level (Edge:Simulation:Level) must be 'model' or 'chips'")]
    [InlineData("Edge:Speed", "500", "--speed (Edge:Speed) must be at most 100 with emulated chips")]
    public void Bad_sensor_configuration_stops_start_up_naming_the_setting(string key, string? value, string expected)
    {
        var o = Bind((key, value));
        if (value is null)
        {
            // Binding cannot remove a key: clear the property the way a missing setting leaves it.
            if (key.EndsWith(":Bus", StringComparison.Ordinal))
            {
                o.Sensors!.Accelerometer!.Bus = null;
            }
            else
            {
                o.Sensors!.Bcg!.Chip = null;
            }
        }

        var errors = Errors(o);
        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Two_chips_at_one_address_are_rejected()
    {
        var o = Bind(("Edge:Sensors:RoomClimate:Chip", "bme280"), ("Edge:Sensors:RoomClimate:Bus", "1"), ("Edge:Sensors:RoomClimate:Address", "0x76"),
            ("Edge:Sensors:SkinThermometer:Chip", "mlx90614"), ("Edge:Sensors:SkinThermometer:Bus", "1"), ("Edge:Sensors:SkinThermometer:Address", "0x76"));
        Assert.Contains(Errors(o), e => e.StartsWith("Edge:Sensors:RoomClimate:Address 0x76 on bus 1 is already used by Edge:Sensors:SkinThermometer", StringComparison.Ordinal));
    }

    [Fact]
    public void Missing_sensor_section_in_hardware_mode_is_rejected()
    {
        var o = new EdgeOptions { Mode = EdgeMode.Hardware };
        Assert.Contains(Errors(o), e => e.StartsWith("Edge:Sensors is missing", StringComparison.Ordinal));
    }

    [Fact]
    public void Real_chips_need_their_bus_device()
    {
        var o = Bind(("Edge:Simulation:Level", "model"));
        var errors = new List<string>();
        SensorsOptionsValidator.Validate(o.Sensors, emulated: false, _ => false, errors);
        Assert.Contains(errors, e => e.StartsWith("Edge:Sensors:Bcg:Bus: /dev/i2c-1 does not exist", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Edge:Sensors: /dev/gpiochip0 does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public void Real_hardware_keeps_speed_1_and_emulated_chips_allow_faster()
    {
        Assert.Contains(Errors(Bind(("Edge:Simulation:Level", "model"), ("Edge:Speed", "10"))), e => e.StartsWith("--speed (Edge:Speed) must be 1 in hardware mode", StringComparison.Ordinal));
        Assert.DoesNotContain(Errors(Bind(("Edge:Speed", "10"))), e => e.StartsWith("--speed", StringComparison.Ordinal));
    }
}
