using System.Net.Http.Headers;
using Switchyard.Dispatch;

namespace Switchyard.Tests.Dispatch;

public class RetryAfterTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static HttpResponseHeaders Headers(params (string Name, string Value)[] values)
    {
        var response = new HttpResponseMessage();
        foreach (var (name, value) in values)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response.Headers;
    }

    [Fact]
    public void Parse_DeltaSeconds() => Assert.Equal(TimeSpan.FromSeconds(7), RetryAfter.Parse(Headers(("Retry-After", "7")), Now));

    [Fact]
    public void Parse_HttpDate_IsRelativeToNow() =>
        Assert.Equal(TimeSpan.FromSeconds(30), RetryAfter.Parse(Headers(("Retry-After", "Tue, 24 Nov 2026 12:00:30 GMT")), Now));

    [Fact]
    public void Parse_DateInThePast_IsZero() =>
        Assert.Equal(TimeSpan.Zero, RetryAfter.Parse(Headers(("Retry-After", "Tue, 24 Nov 2026 11:00:00 GMT")), Now));

    [Fact]
    public void Parse_RetryAfterMs_WinsOverSeconds() =>
        Assert.Equal(TimeSpan.FromMilliseconds(1500), RetryAfter.Parse(Headers(("retry-after-ms", "1500"), ("Retry-After", "2")), Now));

    [Fact]
    public void Parse_Absent_IsNull() => Assert.Null(RetryAfter.Parse(Headers(), Now));
}
