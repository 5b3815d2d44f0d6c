namespace Switchyard.Tests.TestKit;

/// <summary>Generates ids shaped like OpenAI's (prefix + random alphanumerics), so gateways that log or forward them see realistic values.</summary>
internal static class FakeIds
{
    private const string Alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    internal static string Alnum(int length) => new(Random.Shared.GetItems(Alphanumerics.AsSpan(), length));

    internal static string Completion() => "chatcmpl-" + Alnum(29);

    internal static string Request() => "req_" + Guid.NewGuid().ToString("N");
}
