using System.Buffers;
using System.Text.Json;

namespace Switchyard.Core;

/// <summary>
/// A <c>multipart/form-data</c> upload as ingress read it: the text fields in memory (each small and bounded) and
/// every file part spooled to a temporary file as it arrived, so an upload of any allowed size costs the gateway a
/// copy buffer, not its size in memory, and a fallback can send it again. Settle disposes it, which deletes the files.
/// </summary>
public sealed class UploadedForm : IDisposable
{
    private readonly List<KeyValuePair<string, string>> fields = [];
    private readonly List<UploadedFile> files = [];

    /// <summary>The text fields, in the order they came.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Fields => fields;

    /// <summary>The file parts, in the order they came.</summary>
    public IReadOnlyList<UploadedFile> Files => files;

    /// <summary>Adds a text field.</summary>
    public void AddField(string name, string value) => fields.Add(new(name, value));

    /// <summary>Adds a spooled file (the form owns it from now: <see cref="Dispose"/> deletes it).</summary>
    public void AddFile(UploadedFile file) => files.Add(file);

    /// <summary>Records the size of the file added last, once it is spooled whole.</summary>
    public void SetLastLength(long length) => files[^1] = files[^1] with { Length = length };

    /// <summary>The first value of field <paramref name="name"/>, or null.</summary>
    public string? Field(string name)
    {
        foreach (var (key, value) in fields)
        {
            if (string.Equals(key, name, StringComparison.Ordinal))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>
    /// The text fields as one JSON object of strings (a repeated name, such as <c>timestamp_granularities[]</c>, keeps
    /// its first value here; every value is still forwarded). The pipeline's stages read a request through its JSON
    /// head (model, limits, cache and budget checks), so an upload goes through them like any JSON request.
    /// </summary>
    public byte[] HeadJson()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, value) in fields)
            {
                if (seen.Add(name))
                {
                    w.WriteString(name, value);
                }
            }

            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Deletes the spooled files (a file still open by an attempt goes when it is closed).</summary>
    public void Dispose()
    {
        foreach (var file in files)
        {
            try
            {
                File.Delete(file.Path);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        files.Clear();
    }
}

/// <summary>One file part of an upload, spooled to disk.</summary>
/// <param name="Name">The form field name (<c>file</c>, <c>image</c>, <c>image[]</c>, <c>mask</c>).</param>
/// <param name="FileName">The file name the client gave (upstreams read the format from its extension).</param>
/// <param name="ContentType">The part's content type, when given.</param>
/// <param name="Path">Where it is spooled.</param>
/// <param name="Length">Its size in bytes.</param>
public sealed record UploadedFile(string Name, string FileName, string? ContentType, string Path, long Length)
{
    /// <summary>Opens the spooled bytes for one attempt's upload (the caller disposes the stream).</summary>
    public Stream Open() => new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, FileOptions.SequentialScan);
}
