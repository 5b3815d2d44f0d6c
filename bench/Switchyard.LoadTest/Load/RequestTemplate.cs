using System.Text;
using Switchyard.LoadTest.Cli;

namespace Switchyard.LoadTest.Load;

/// <summary>
/// Builds the exact bytes of the one request a run sends over and over. Precomputing them keeps the
/// generator's per-request work to a single socket write.
/// </summary>
public static class RequestTemplate
{
    /// <summary>Default non-streaming body: a small, realistic chat request (about 290 bytes).</summary>
    public const string ChatBody =
        """{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a terse assistant for a platform team."},{"role":"user","content":"In two sentences, why should an API gateway reuse upstream keep-alive connections?"}],"temperature":0.2,"max_tokens":128,"user":"loadtest-1"}""";

    /// <summary>Default streaming body: the same request with <c>stream</c> and usage reporting on.</summary>
    public const string ChatStreamBody =
        """{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a terse assistant for a platform team."},{"role":"user","content":"In two sentences, why should an API gateway reuse upstream keep-alive connections?"}],"temperature":0.2,"max_tokens":128,"user":"loadtest-1","stream":true,"stream_options":{"include_usage":true}}""";

    /// <summary>Picks the body from the options: <c>--body FILE</c>, <c>--stream</c>, or the default chat body.</summary>
    public static byte[] BodyFromOptions(Options o)
    {
        var file = o.String("--body");
        if (file is not null && o.Flag("--stream")) throw new UsageException("give either --body FILE or --stream, not both");
        if (file is not null)
        {
            var info = new FileInfo(file);
            if (!info.Exists) throw new UsageException($"body file not found: {file}");
            if (info.Length > 16 * 1024 * 1024) throw new UsageException($"body file larger than 16 MiB: {file}");
            return File.ReadAllBytes(file);
        }
        return Encoding.UTF8.GetBytes(o.Flag("--stream") ? ChatStreamBody : ChatBody);
    }

    /// <summary>Validates <c>Name: value</c> header lines (no CR/LF smuggling, non-empty name).</summary>
    public static IReadOnlyList<string> CheckHeaders(IEnumerable<string> headers)
    {
        var list = new List<string>();
        foreach (var h in headers)
        {
            var colon = h.IndexOf(':');
            if (colon <= 0 || h.AsSpan(0, colon).ContainsAny(" \t") || h.AsSpan().ContainsAny("\r\n"))
                throw new UsageException($"bad header '{h}' (expected 'Name: value')");
            list.Add(h);
        }
        return list;
    }

    /// <summary>The full HTTP/1.1 request: request line, Host, headers, Content-Length, body.</summary>
    public static byte[] Build(LoopbackTarget target, string method, IReadOnlyList<string> headers, byte[] body)
    {
        var sb = new StringBuilder(256);
        sb.Append(method).Append(' ').Append(target.PathAndQuery).Append(" HTTP/1.1\r\n");
        sb.Append("Host: ").Append(target.HostHeader).Append("\r\n");
        sb.Append("User-Agent: switchyard-loadtest/1\r\n");
        var hasContentType = headers.Any(h => h.StartsWith("content-type:", StringComparison.OrdinalIgnoreCase));
        if (body.Length > 0 && !hasContentType) sb.Append("Content-Type: application/json\r\n");
        foreach (var h in headers) sb.Append(h).Append("\r\n");
        if (body.Length > 0 || method == "POST") sb.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        sb.Append("\r\n");
        var head = Encoding.ASCII.GetBytes(sb.ToString());
        var req = new byte[head.Length + body.Length];
        head.CopyTo(req, 0);
        body.CopyTo(req, head.Length);
        return req;
    }
}
