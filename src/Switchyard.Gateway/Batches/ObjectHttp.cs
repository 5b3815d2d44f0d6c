using System.Buffers;
using Microsoft.AspNetCore.Http;
using Switchyard.Providers.OpenAI;

namespace Switchyard.Batches;

/// <summary>
/// The HTTP side shared by the files and batches endpoints: OpenAI's error envelope, JSON answers, a provider's answer
/// read whole (bounded) or relayed as it arrives. The clients of these endpoints speak OpenAI's protocol, and so do the
/// providers behind them, so a provider's error is relayed as it came (its status and body).
/// </summary>
internal static class ObjectHttp
{
    /// <summary>The largest provider answer read whole (a file or batch object, a page of them; never file content).</summary>
    public const int MaxObjectBytes = 1024 * 1024;

    /// <summary>Writes <paramref name="error"/> in OpenAI's envelope.</summary>
    public static Task RefuseAsync(HttpContext http, in ClientError error) => ClientErrors.WriteAsync(http, OpenAIChatFormat.Instance, error);

    /// <summary>404 in OpenAI's words (<c>No such File object: file-…</c>): another key's object is answered exactly as an unknown one.</summary>
    public static Task NotFoundAsync(HttpContext http, string what, string id, string param = "id") =>
        OpenAIErrors.WriteAsync(http, 404, $"No such {what} object: {Bounded(id)}", "invalid_request_error", param, null);

    /// <summary>A 400 naming <paramref name="param"/>.</summary>
    public static Task InvalidAsync(HttpContext http, string message, string? param, string code = "invalid_value") =>
        OpenAIErrors.WriteAsync(http, 400, message, "invalid_request_error", param, code);

    /// <summary>502: the provider could not be reached or answered something unreadable.</summary>
    public static Task UpstreamFailedAsync(HttpContext http, string deployment, string why) =>
        OpenAIErrors.WriteAsync(http, 502, $"The provider of deployment '{deployment}' failed: {why}", "server_error", null, "upstream_error");

    /// <summary>A JSON answer.</summary>
    public static Task WriteJsonAsync(HttpContext http, int status, byte[] body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = body.Length;
        return http.Response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>The whole body of <paramref name="response"/>, or null when it passes <see cref="MaxObjectBytes"/>.</summary>
    public static async Task<byte[]?> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var copy = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                if (copy.Length + n > MaxObjectBytes)
                {
                    return null;
                }

                copy.Write(buffer, 0, n);
            }

            return copy.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A provider's non-2xx answer, relayed (status, content type and body, bounded).</summary>
    public static async Task RelayErrorAsync(HttpContext http, HttpResponseMessage response, string deployment)
    {
        var body = await ReadAsync(response, http.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await UpstreamFailedAsync(http, deployment, $"status {(int)response.StatusCode} with an oversized body").ConfigureAwait(false);
            return;
        }

        http.Response.StatusCode = (int)response.StatusCode;
        http.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/json";
        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body, http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>File content, copied to the client read by read (64 KiB pooled buffer, flushed each time): never held whole.</summary>
    public static async Task RelayBodyAsync(HttpContext http, HttpResponseMessage response)
    {
        http.Response.StatusCode = 200;
        http.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
        http.Response.ContentLength = response.Content.Headers.ContentLength;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(http.RequestAborted).ConfigureAwait(false);
            int n;
            while ((n = await stream.ReadAsync(buffer, http.RequestAborted).ConfigureAwait(false)) > 0)
            {
                await http.Response.Body.WriteAsync(buffer.AsMemory(0, n), http.RequestAborted).ConfigureAwait(false);
                await http.Response.Body.FlushAsync(http.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException && !http.RequestAborted.IsCancellationRequested)
        {
            http.Abort(); // the provider broke off: a clean end would pass half a file off as whole
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The <c>limit</c> and <c>after</c> of a list request; a 400 naming the parameter when out of range.</summary>
    public static ClientError? Page(IQueryCollection query, int max, int fallback, out int limit, out string? after)
    {
        limit = fallback;
        after = query["after"] is { Count: > 0 } a ? a[0] : null;
        if (query["limit"] is { Count: > 0 } l && (!int.TryParse(l[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > max))
        {
            return new ClientError(400, ErrorCategory.InvalidRequest, $"Invalid 'limit': expected an integer between 1 and {max}.", "limit", "invalid_value");
        }

        if (query["order"] is { Count: > 0 } o && o[0] != "desc")
        {
            return new ClientError(400, ErrorCategory.InvalidRequest, "Invalid 'order': this gateway lists newest first only ('desc').", "order", "invalid_value");
        }

        return null;
    }

    private static string Bounded(string id) => id.Length > 128 ? id[..128] + "…" : id;
}
