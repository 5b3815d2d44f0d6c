using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Switchyard.Ingress;

/// <summary>
/// Reads a <c>multipart/form-data</c> upload section by section as it arrives: text fields into memory (at most
/// <see cref="MaxFieldBytes"/> each), file parts copied to temporary files through one pooled buffer. The whole body
/// is bounded by <c>server.max_upload_size</c> (Kestrel enforces it too): past it the upload stops with a 413 and what
/// was spooled is deleted. Nothing of an upload is ever held whole in memory.
/// </summary>
internal static class UploadReader
{
    /// <summary>The longest text field taken (a prompt of 32,000 characters is gpt-image-1's limit; 64 KiB is above it).</summary>
    public const int MaxFieldBytes = 64 * 1024;

    /// <summary>Where uploads are spooled while their request runs.</summary>
    private static readonly string SpoolDirectory = Path.Combine(Path.GetTempPath(), "switchyard-uploads");

    /// <summary>The upload, or the refusal to answer (400 for a malformed body, 413 past the limit).</summary>
    public static async Task<(UploadedForm? Form, ClientError? Error)> ReadAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (Boundary(request.ContentType) is not { } boundary)
        {
            return (null, Malformed("the Content-Type has no multipart boundary"));
        }

        var form = new UploadedForm();
        try
        {
            var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024 };
            long total = 0;
            while (await reader.ReadNextSectionAsync(ct).ConfigureAwait(false) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.IsFormDisposition() && !disposition.IsFileDisposition())
                {
                    form.Dispose();
                    return (null, Malformed("a part has no form-data Content-Disposition"));
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).ToString();
                var (size, error) = disposition.IsFileDisposition()
                    ? await SpoolAsync(form, section, name, HeaderUtilities.RemoveQuotes(disposition.FileName).ToString(), limit - total, ct).ConfigureAwait(false)
                    : await FieldAsync(form, section, name, ct).ConfigureAwait(false);
                total += size;
                if (error is not null || total > limit)
                {
                    form.Dispose();
                    return (null, error ?? TooLarge(limit));
                }
            }

            return (form, null);
        }
        catch (InvalidDataException ex)
        {
            form.Dispose();
            return (null, Malformed(ex.Message));
        }
        catch
        {
            form.Dispose();
            throw;
        }
    }

    /// <summary>The 413 an upload past the limit gets, in every format's words.</summary>
    public static ClientError TooLarge(long limit) =>
        new(413, ErrorCategory.RequestTooLarge, $"The upload exceeds the gateway's limit of {limit} bytes.", null, "request_too_large");

    private static ClientError Malformed(string why) =>
        new(400, ErrorCategory.InvalidRequest, $"The multipart/form-data body could not be read: {why}.", null, "invalid_request_body");

    private static string? Boundary(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)
            || !media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var boundary = HeaderUtilities.RemoveQuotes(media.Boundary).ToString();
        return boundary.Length is > 0 and <= 200 ? boundary : null; // RFC 2046 §5.1.1: at most 70 characters; be lenient
    }

    /// <summary>A text field, read whole (it is small); 400 past <see cref="MaxFieldBytes"/>.</summary>
    private static async Task<(long Size, ClientError? Error)> FieldAsync(UploadedForm form, MultipartSection section, string name, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        var length = 0;
        try
        {
            int read;
            while ((read = await section.Body.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (length > MaxFieldBytes)
                {
                    return (length, new ClientError(400, ErrorCategory.InvalidRequest,
                        $"Field '{name}' is longer than {MaxFieldBytes} bytes.", name, "invalid_value"));
                }

                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
            }

            form.AddField(name, Encoding.UTF8.GetString(buffer, 0, length));
            return (length, null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A file part, copied to a new temporary file as it arrives; stops (413) once past <paramref name="room"/> bytes.</summary>
    private static async Task<(long Size, ClientError? Error)> SpoolAsync(UploadedForm form, MultipartSection section, string name, string fileName,
        long room, CancellationToken ct)
    {
        Directory.CreateDirectory(SpoolDirectory);
        var path = Path.Combine(SpoolDirectory, Guid.NewGuid().ToString("N"));
        long length = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                form.AddFile(new UploadedFile(name, fileName, section.ContentType, path, 0)); // owned (deleted) from here on
                int read;
                while ((read = await section.Body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    length += read;
                    if (length > room)
                    {
                        return (length, null); // the caller answers 413 and deletes the spool
                    }

                    await file.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                }
            }

            form.SetLastLength(length);
            return (length, null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
