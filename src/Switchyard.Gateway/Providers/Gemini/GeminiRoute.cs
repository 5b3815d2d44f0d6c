using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;

namespace Switchyard.Providers.Gemini;

/// <summary>What a Gemini URL says: the model (a gateway alias), whether the answer streams, and the method.</summary>
/// <param name="Model">The part between <c>models/</c> and the last <c>:</c>.</param>
/// <param name="Stream">True for <c>:streamGenerateContent</c>.</param>
public readonly record struct GeminiCall(string Model, bool Stream)
{
    /// <summary>The method after the colon (<c>generateContent</c>, <c>embedContent</c>, ...).</summary>
    public string Method { get; init; } = GeminiRoute.Generate;

    /// <summary><c>:embedContent</c> or <c>:batchEmbedContents</c>.</summary>
    public bool IsEmbedding => Method is GeminiRoute.Embed or GeminiRoute.BatchEmbed;
}

/// <summary>
/// Parses <c>/v1beta/models/{model}:{method}</c>. Gemini puts the model and the streaming choice in the URL,
/// not the body. ASP.NET Core route templates cannot split a segment on a literal colon, so the endpoint is
/// a catch-all and the split happens here (on the last colon: aliases may contain '/' but not ':').
/// </summary>
public static class GeminiRoute
{
    /// <summary>The generate method.</summary>
    public const string Generate = "generateContent";

    /// <summary>The streaming method.</summary>
    public const string StreamGenerate = "streamGenerateContent";

    /// <summary>One embedding.</summary>
    public const string Embed = "embedContent";

    /// <summary>Several embeddings in one call.</summary>
    public const string BatchEmbed = "batchEmbedContents";

    /// <summary>The operation a <c>/v1beta/models/...</c> URL asks for (an unserved method reads as generation, whose parse refuses it).</summary>
    public static Operation OperationOf(HttpRequest request) =>
        request.Path.Value is { } path && (path.EndsWith(":" + Embed, StringComparison.Ordinal) || path.EndsWith(":" + BatchEmbed, StringComparison.Ordinal))
            ? Operation.Embeddings
            : Operation.GenerateContent;

    private const string Marker = "/models/";

    /// <summary>Reads the call from <paramref name="request"/>; an error (404/400 in Google's terms) when it is not one we serve.</summary>
    public static ClientError? Parse(HttpRequest request, out GeminiCall call)
    {
        call = default;
        var path = request.Path.Value ?? "";
        var at = path.IndexOf(Marker, StringComparison.Ordinal);
        var rest = at < 0 ? "" : path[(at + Marker.Length)..];
        var colon = rest.LastIndexOf(':');
        if (colon <= 0)
        {
            return new ClientError(404, ErrorCategory.NotFound,
                $"Unknown request URL: {request.Method} {request.Path}. Expected /v1beta/models/{{model}}:generateContent or :streamGenerateContent.",
                null, "unknown_url");
        }

        var model = rest[..colon];
        var method = rest[(colon + 1)..];
        switch (method)
        {
            case Generate:
                call = new GeminiCall(model, false);
                return null;
            case Embed or BatchEmbed:
                call = new GeminiCall(model, false) { Method = method };
                return null;
            case StreamGenerate:
                // Without alt=sse Google streams one JSON array that is only valid once complete; every Google
                // SDK asks for SSE, so that is the one streaming shape served here.
                var alt = request.Query["alt"];
                if (alt.Count != 1 || !string.Equals(alt[0], "sse", StringComparison.OrdinalIgnoreCase))
                {
                    return new ClientError(400, ErrorCategory.InvalidRequest,
                        "streamGenerateContent is served as server-sent events only: add '?alt=sse' to the URL.", "alt", "unsupported_stream_format");
                }

                call = new GeminiCall(model, true);
                return null;
            default:
                return new ClientError(404, ErrorCategory.NotFound,
                    $"Method '{method}' is not served by this gateway: it serves generateContent, streamGenerateContent, embedContent and batchEmbedContents.", null, "unknown_method");
        }
    }
}
