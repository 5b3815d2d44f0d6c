namespace Switchyard.Core;

/// <summary>Maps what an upstream did to a <see cref="FailureKind"/>.</summary>
public static class FailureClassifier
{
    /// <summary>The failure class of an HTTP status (<see cref="FailureKind.None"/> for 2xx).</summary>
    public static FailureKind FromStatus(int status) => status switch
    {
        < 300 => FailureKind.None,

        // A redirect is never a valid answer from an API endpoint (usually an http:// base URL the
        // provider bounces to https://): the upstream is misconfigured, so treat it as its fault.
        < 400 => FailureKind.ServerError,
        429 => FailureKind.RateLimited,
        408 or 409 or 425 => FailureKind.Transient,
        401 or 403 => FailureKind.Auth,
        < 500 => FailureKind.ClientError,
        _ => FailureKind.ServerError,
    };

    /// <summary>
    /// The failure class of an exception from sending or reading. <paramref name="timedOut"/> says the
    /// attempt's own timer fired; <paramref name="clientGone"/> that the client disconnected.
    /// </summary>
    public static FailureKind FromException(Exception ex, bool timedOut, bool clientGone) =>
        clientGone ? FailureKind.ClientCancelled
        : timedOut ? FailureKind.Timeout
        : ex switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => FailureKind.StreamCut,
            HttpRequestException => FailureKind.Connection,
            IOException => FailureKind.StreamCut,
            OperationCanceledException => FailureKind.Timeout,
            _ => FailureKind.Connection,
        };
}
