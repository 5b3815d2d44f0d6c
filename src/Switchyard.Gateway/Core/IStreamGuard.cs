namespace Switchyard.Core;

/// <summary>
/// Decides, while a committed stream runs, whether it may go on. Dispatch asks after each flushed part; when the
/// answer is a refusal, it ends the stream with that error as the caller's in-stream error event (never a clean end).
/// </summary>
public interface IStreamGuard
{
    /// <summary>Null to go on; else the error that ends the stream.</summary>
    ClientError? Check(GatewayContext ctx);
}

/// <summary>Counts the output tokens of what a stream has delivered so far (the same estimate Settle uses when none was reported).</summary>
public interface IDeliveredTokens
{
    /// <summary>Output tokens of <paramref name="delivered"/>, estimated from its text.</summary>
    long OutputTokens(DeliveredContent delivered);
}
