namespace Switchyard.Tests.Observability;

/// <summary>The test's own exposition-format reader must be able to refuse what is not the format.</summary>
public sealed class PrometheusTextTests
{
    private const string Valid = """
        # HELP requests_total Requests, with a \\ and a \n in the help.
        # TYPE requests_total counter
        requests_total{alias="a",status="200"} 3
        requests_total{alias="quote \" and \\ and \n",} 1 1700000000000
        # TYPE latency_seconds histogram
        latency_seconds_bucket{le="0.1"} 1
        latency_seconds_bucket{le="+Inf"} 2
        latency_seconds_sum 0.35
        latency_seconds_count 2
        up NaN

        """;

    [Fact]
    public void Parse_ValidText_FamiliesLabelsAndValues()
    {
        var families = PrometheusText.Parse(Valid);

        Assert.Equal(["latency_seconds", "requests_total", "up"], families.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("Requests, with a \\ and a \n in the help.", families["requests_total"].Help);
        Assert.Equal("quote \" and \\ and \n", families["requests_total"].Samples[1]["alias"]);
        Assert.Equal(4, families["latency_seconds"].Samples.Count);
        Assert.True(double.IsNaN(families["up"].Samples[0].Value));
    }

    [Theory]
    [InlineData("1bad_name 1")]
    [InlineData("m{1label=\"x\"} 1")]
    [InlineData("m{a=x} 1")]
    [InlineData("m{a=\"x\",a=\"y\"} 1")]
    [InlineData("m{a=\"x\\t\"} 1")]
    [InlineData("m{a=\"x\" 1")]
    [InlineData("m one")]
    [InlineData("m 1 1.5")]
    [InlineData("# TYPE m countr")]
    [InlineData("m 1\n# TYPE m counter")]
    [InlineData("a 1\nb 1\na 2")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1")]
    public void Parse_NotTheFormat_Throws(string text)
    {
        Assert.Throws<FormatException>(() => PrometheusText.Parse(text));
    }
}
