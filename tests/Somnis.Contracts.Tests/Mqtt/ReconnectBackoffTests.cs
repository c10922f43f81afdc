using Somnis.Contracts.Mqtt;

namespace Somnis.Contracts.Tests.Mqtt;

public sealed class ReconnectBackoffTests
{
    private static readonly ReconnectBackoff Backoff = new() { Initial = TimeSpan.FromMilliseconds(250), Max = TimeSpan.FromSeconds(30) };

    [Fact]
    public void Without_jitter_the_wait_doubles_from_the_first_up_to_the_bound()
    {
        double[] expected = [250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000];
        Assert.Equal(expected, Enumerable.Range(1, expected.Length).Select(n => Backoff.Delay(n, 0).TotalMilliseconds));
        Assert.Equal(TimeSpan.FromSeconds(30), Backoff.Delay(1000, 0));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(0.999999)]
    public void Jitter_shortens_a_wait_by_at_most_half_and_never_lengthens_it(double random)
    {
        for (var n = 1; n <= 12; n++)
        {
            var full = Backoff.Delay(n, 0);
            var jittered = Backoff.Delay(n, random);
            Assert.InRange(jittered, full / 2, full);
            Assert.Equal((full * (1 - (0.5 * random))).TotalMilliseconds, jittered.TotalMilliseconds, 0.001);
        }
    }
}
