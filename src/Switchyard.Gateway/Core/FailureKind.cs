namespace Switchyard.Core;

/// <summary>
/// The closed set of ways an upstream attempt can fail. One value feeds retry, fallback, the usage record
/// and the error envelope, so every stage agrees on what happened. The YAML names (snake_case) are in
/// <see cref="FailureKinds"/>.
/// </summary>
public enum FailureKind
{
    /// <summary>No failure.</summary>
    None = 0,

    /// <summary>The upstream could not be reached (DNS, refused, reset before a response, TLS).</summary>
    Connection,

    /// <summary>Connect, first-byte, idle or total timeout.</summary>
    Timeout,

    /// <summary>HTTP 429.</summary>
    RateLimited,

    /// <summary>HTTP 5xx.</summary>
    ServerError,

    /// <summary>HTTP 408, 409, 425: transient by definition of the status.</summary>
    Transient,

    /// <summary>HTTP 401/403 from the upstream: our provider credentials, not the client's fault.</summary>
    Auth,

    /// <summary>Any other 4xx: the request itself is wrong; returned to the client, never retried.</summary>
    ClientError,

    /// <summary>A stream that ended without its terminator or carried an error event.</summary>
    StreamCut,

    /// <summary>The client went away; nothing is retried.</summary>
    ClientCancelled,

    /// <summary>The request's deadline passed before an answer (no time left for another attempt).</summary>
    DeadlineExceeded,

    /// <summary>The prompt does not fit the model's context window (upstream said so, or the pre-check did).</summary>
    ContextWindow,

    /// <summary>The upstream refused the content (safety filter, content policy).</summary>
    ContentPolicy,

    /// <summary>A budget would be exceeded; never sent upstream.</summary>
    BudgetExceeded,

    /// <summary>The deployment cannot express the request (a capability or field it lacks).</summary>
    UnsupportedCapability,

    /// <summary>A hedged attempt that lost the race to the other one and was cancelled; not a fault of anyone's.</summary>
    HedgeLost,

    /// <summary>The deployment's circuit breaker is open (or its half-open trial slots are taken): no attempt was made.</summary>
    CircuitOpen,

    /// <summary>The gateway itself failed (an unhandled exception): answered 500, logged with the request id.</summary>
    Internal,

    /// <summary>
    /// A 2xx answer that is not what the protocol says it is (a whole body that is not valid JSON, a stream that
    /// cannot be decoded): the upstream's fault, never relayed as a clean answer.
    /// </summary>
    InvalidResponse,

    /// <summary>
    /// An upstream answer past the gateway's bounds (<c>server.max_upstream_response_size</c> for a whole translated
    /// body, <c>server.max_upstream_event_size</c> for one stream event), stopped before it could take unbounded memory.
    /// </summary>
    ResponseTooLarge,

    /// <summary>The gateway is shutting down and <c>server.shutdown_timeout</c> has passed: in-flight work is ended, nothing retried.</summary>
    ShuttingDown,
}

/// <summary>Names of <see cref="FailureKind"/> as used in YAML, headers and usage records.</summary>
public static class FailureKinds
{
    /// <summary>The snake_case name of <paramref name="kind"/> (e.g. <c>rate_limited</c>).</summary>
    public static string Name(FailureKind kind) => kind switch
    {
        FailureKind.None => "none",
        FailureKind.Connection => "connection",
        FailureKind.Timeout => "timeout",
        FailureKind.RateLimited => "rate_limited",
        FailureKind.ServerError => "server_error",
        FailureKind.Transient => "transient",
        FailureKind.Auth => "auth",
        FailureKind.ClientError => "client_error",
        FailureKind.StreamCut => "stream_cut",
        FailureKind.ClientCancelled => "client_cancelled",
        FailureKind.DeadlineExceeded => "deadline_exceeded",
        FailureKind.ContextWindow => "context_window",
        FailureKind.ContentPolicy => "content_policy",
        FailureKind.BudgetExceeded => "budget_exceeded",
        FailureKind.UnsupportedCapability => "unsupported_capability",
        FailureKind.HedgeLost => "hedge_lost",
        FailureKind.CircuitOpen => "circuit_open",
        FailureKind.Internal => "internal_error",
        FailureKind.InvalidResponse => "invalid_response",
        FailureKind.ResponseTooLarge => "response_too_large",
        FailureKind.ShuttingDown => "shutting_down",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Parses a snake_case trigger name; false for unknown names.</summary>
    public static bool TryParse(string name, out FailureKind kind)
    {
        foreach (var k in Enum.GetValues<FailureKind>())
        {
            if (Name(k) == name)
            {
                kind = k;
                return true;
            }
        }

        kind = FailureKind.None;
        return false;
    }
}
