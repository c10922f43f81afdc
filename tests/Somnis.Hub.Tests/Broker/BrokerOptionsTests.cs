using Somnis.Hub;
using Somnis.Hub.Broker;

namespace Somnis.Hub.Tests.Broker;

public sealed class BrokerOptionsTests
{
    [Theory]
    [InlineData(15, false)]
    [InlineData(16, true)]
    [InlineData(8192, true)]
    [InlineData(65535, true)]
    [InlineData(65536, false)]
    public void The_receive_window_is_checked_at_start_up(int receiveMaximum, bool valid)
    {
        var result = new BrokerOptionsValidator().Validate(null, new BrokerOptions { ReceiveMaximum = receiveMaximum });
        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Broker:ReceiveMaximum must be between 16 and 65535", result.FailureMessage, StringComparison.Ordinal);
        }
    }
}
