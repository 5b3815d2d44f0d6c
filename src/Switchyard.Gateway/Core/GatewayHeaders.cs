namespace Switchyard.Core;

/// <summary>The gateway's own request headers, read by more than one stage (and by explain).</summary>
public static class GatewayHeaders
{
    /// <summary>Opts out of fallback (<c>none</c>): only the intended deployment is tried.</summary>
    public const string NoFallback = "x-switchyard-fallback";

    /// <summary>The client's deadline for the whole request (<c>1500ms</c>, <c>2s</c>; a bare number is seconds).</summary>
    public const string Timeout = "x-switchyard-timeout";

    /// <summary>Names a conditional route (<c>routes.NAME</c>) to serve the request.</summary>
    public const string Route = "x-switchyard-route";

    /// <summary>True when the client opted out of fallback with <see cref="NoFallback"/>.</summary>
    public static bool OptsOutOfFallback(Microsoft.AspNetCore.Http.IHeaderDictionary headers) =>
        headers[NoFallback] is { Count: 1 } value && value[0] is "none" or "off" or "false";
}
