using Somnis.Edge.Sensors;

namespace Somnis.Edge.Tests.Sensors;

public sealed class PecTests
{
    [Fact]
    public void Pec_matches_the_smbus_crc8_check_value()
    {
        // CRC-8/SMBUS check value for "123456789" is 0xF4.
        Assert.Equal(0xF4, Pec.Crc8("123456789"u8));
    }
}
