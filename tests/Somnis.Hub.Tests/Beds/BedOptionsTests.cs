using Somnis.Hub.Beds;

namespace Somnis.Hub.Tests.Beds;

public sealed class BedOptionsTests
{
    [Theory]
    [InlineData("00:00:04", false)]
    [InlineData("00:00:05", true)]
    [InlineData("00:01:00", true)]
    [InlineData("1.00:00:00", true)]
    [InlineData("1.00:00:01", false)]
    [InlineData("-00:01:00", false)]
    public void Stale_after_is_bounded(string staleAfter, bool valid)
    {
        var value = TimeSpan.Parse(staleAfter, System.Globalization.CultureInfo.InvariantCulture);
        var result = new BedOptionsValidator().Validate(null, new BedOptions { StaleAfter = value });
        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Equal($"Beds:StaleAfter must be between 00:00:05 and 1.00:00:00 (got {value:c})", Assert.Single(result.Failures!));
        }
    }
}
