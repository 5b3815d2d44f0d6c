namespace Switchyard.Core;

/// <summary>
/// A failed attempt, before anything reached the client. Carries what is needed to decide the next move
/// (kind, Retry-After) and, if it turns out to be the last, to answer the client (status, body).
/// </summary>
/// <param name="Kind">Failure class.</param>
/// <param name="Message">Human-readable cause; names the deployment, never a secret.</param>
/// <param name="Status">The upstream's HTTP status, 0 when there was no response.</param>
/// <param name="RetryAfter">The upstream's requested wait.</param>
/// <param name="Body">The upstream's error body (bounded), if any.</param>
public sealed record UpstreamFailure(FailureKind Kind, string Message, int Status = 0, TimeSpan? RetryAfter = null, byte[]? Body = null)
{
    /// <summary>The body is an error envelope in the client's own format (same-protocol passthrough), so it can be relayed as is.</summary>
    public bool ClientShaped { get; init; }

    /// <summary>The request field at fault, for failures the client caused (unsupported field).</summary>
    public string? Param { get; init; }

    /// <summary>A hedged attempt reached its commit point second.</summary>
    public static UpstreamFailure Lost(DeploymentTarget deployment) =>
        new(FailureKind.HedgeLost, $"deployment '{deployment.Name}' answered after the hedged attempt had already won");
}
