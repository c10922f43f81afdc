using Somnis.Contracts.Mqtt;

namespace Somnis.Contracts.Tests.Mqtt;

public sealed class BrokerAddressTests
{
    [Fact]
    public void One_address_parses_schemes_and_default_ports()
    {
        Assert.Equal(new BrokerAddress("10.0.0.5", 1883, false), BrokerAddress.Parse("mqtt://10.0.0.5"));
        Assert.Equal(new BrokerAddress("hub.local", 8883, true), BrokerAddress.Parse("mqtts://hub.local"));
        Assert.Equal(new BrokerAddress("127.0.0.1", 18831, false), BrokerAddress.Parse("mqtt://127.0.0.1:18831"));
        Assert.False(BrokerAddress.TryParse("127.0.0.1:1883", out _, out _));
    }

    [Fact]
    public void A_list_keeps_its_order_and_allows_blanks_around_the_commas()
    {
        var list = BrokerAddress.ParseList("mqtts://n1:8883, mqtts://n2:8883 ,mqtt://n3");
        Assert.Equal([new BrokerAddress("n1", 8883, true), new BrokerAddress("n2", 8883, true), new BrokerAddress("n3", 1883, false)], list);
        Assert.Equal("mqtts://n1:8883,mqtts://n2:8883,mqtt://n3:1883", BrokerAddress.Format(list));
        Assert.Equal([new BrokerAddress("a", 1883, false)], BrokerAddress.ParseList("mqtt://a:1883"));
    }

    [Theory]
    [InlineData("", "must name at least one broker")]
    [InlineData("mqtt://a:1883,", "entry 2 of the list must look like mqtt://HOST:PORT")]
    [InlineData("mqtt://a:1883,,mqtt://b:1883", "entry 2 of the list must look like")]
    [InlineData("mqtt://a:1883,http://b:1", "entry 2 of the list must look like")]
    [InlineData("mqtt://a:1883,mqtt://a", "mqtt://a:1883 is listed twice")]
    [InlineData("a:1883", "must look like mqtt://HOST:PORT or mqtts://HOST:PORT (got 'a:1883')")]
    public void A_bad_list_says_which_entry_is_wrong(string text, string expected)
    {
        Assert.False(BrokerAddress.TryParseList(text, out _, out var error));
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }
}
