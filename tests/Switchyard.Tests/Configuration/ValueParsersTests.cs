using Switchyard.Configuration;

namespace Switchyard.Tests.Configuration;

public sealed class ValueParsersTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("5s", 5_000)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("30", 30_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData(" 10 s ", 10_000)]
    public void TryParseDuration_ValidText_ReturnsValue(string text, int expectedMs)
    {
        Assert.True(ValueParsers.TryParseDuration(text, out var value, out _));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), value);
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("0")]
    [InlineData("-1s")]
    [InlineData("5 days")]
    [InlineData("fast")]
    [InlineData("")]
    [InlineData("8d")]
    public void TryParseDuration_InvalidText_Fails(string text)
    {
        Assert.False(ValueParsers.TryParseDuration(text, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData("8MiB", 8L * 1024 * 1024)]
    [InlineData("512KiB", 512L * 1024)]
    [InlineData("1MB", 1_000_000L)]
    [InlineData("2GiB", 2L * 1024 * 1024 * 1024)]
    [InlineData("4096", 4096L)]
    [InlineData("1kb", 1_000L)]
    public void TryParseSize_ValidText_ReturnsBytes(string text, long expected)
    {
        Assert.True(ValueParsers.TryParseSize(text, out var value, out _));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("8 parsecs")]
    [InlineData("big")]
    public void TryParseSize_InvalidText_Fails(string text)
    {
        Assert.False(ValueParsers.TryParseSize(text, out _, out _));
    }

    [Fact]
    public void TryParseSha256_UppercaseOrLowercaseHex_ReturnsSameBytes()
    {
        const string Hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

        Assert.True(ValueParsers.TryParseSha256("sha256:" + Hex, out var lower, out _));
        Assert.True(ValueParsers.TryParseSha256("sha256:" + Hex.ToUpperInvariant(), out var upper, out _));
        Assert.Equal(lower, upper);
        Assert.Equal(KeyHasher.Hash("test"), lower);
    }
}
