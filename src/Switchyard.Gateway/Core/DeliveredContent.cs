using System.Buffers;
using System.Text;
using Switchyard.Canonical;

namespace Switchyard.Core;

/// <summary>What <see cref="DeliveredContent"/> holds, which decides how Settle reads it back.</summary>
public enum DeliveredForm
{
    /// <summary>Nothing yet.</summary>
    None,

    /// <summary>UTF-8 text: the content of canonical events (translated streams) or of a whole answer.</summary>
    Text,

    /// <summary>Raw stream bytes in the upstream's own protocol (a passthrough relay), decoded only if they must be counted.</summary>
    UpstreamStream,

    /// <summary>A whole body in the upstream's own protocol (a passthrough answer without usage), parsed only if it must be counted.</summary>
    UpstreamBody,
}

/// <summary>
/// What one attempt delivered, kept so the gateway can meter it when the upstream never reports usage (a cut,
/// a stall, a client that left, shutdown, a hedge that lost, a server that omits usage). Dispatch only collects:
/// a copy into one pooled buffer, bounded by <see cref="MaxKeptBytes"/>, with the bytes past the bound only
/// counted; Settle (Usage) does the counting, once, at the end, and only when no usage came
/// (docs/adr/0005-metering.md). Not thread-safe: one attempt writes it, then Settle reads it.
/// </summary>
public sealed class DeliveredContent(DeploymentTarget deployment, IProviderAdapter? adapter) : IDisposable
{
    /// <summary>
    /// Bytes kept for counting. 256 KiB holds ~64k tokens of text, or the SSE of ~1,500 OpenAI chunks; past it the
    /// remainder is estimated from its byte count at the ratio measured on the kept part.
    /// </summary>
    public const int MaxKeptBytes = 256 * 1024;

    private const int InitialBytes = 4 * 1024;

    private byte[]? buffer;
    private int length;

    /// <summary>The deployment that produced it (its model picks the tokenizer).</summary>
    public DeploymentTarget Deployment { get; } = deployment;

    /// <summary>The deployment's adapter, whose decoder and parser read <see cref="DeliveredForm.UpstreamStream"/> and <see cref="DeliveredForm.UpstreamBody"/> back.</summary>
    public IProviderAdapter? Adapter { get; } = adapter;

    /// <summary>How the kept bytes are to be read.</summary>
    public DeliveredForm Form { get; set; }

    /// <summary>The answer reached its proper end (the stream's terminator, a whole body): reported usage is then final.</summary>
    public bool Complete { get; set; }

    /// <summary>Usage the upstream reported to an attempt that never committed (a hedge loser's), merged as it came.</summary>
    public TokenUsage Reported;

    /// <summary>Settle: what a hedge loser is billed (its reported usage, else the estimate).</summary>
    public TokenUsage Billed;

    /// <summary>Bytes delivered past <see cref="MaxKeptBytes"/>: counted, not kept.</summary>
    public long OverflowBytes { get; private set; }

    /// <summary>The bytes kept.</summary>
    public ReadOnlySpan<byte> Kept => buffer.AsSpan(0, length);

    /// <summary>Whether anything was delivered at all.</summary>
    public bool IsEmpty => length == 0 && OverflowBytes == 0;

    /// <summary>Keeps <paramref name="bytes"/> (as much as fits under the bound; the rest is counted).</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        var fits = Math.Min(bytes.Length, MaxKeptBytes - length);
        if (fits > 0)
        {
            Reserve(fits);
            bytes[..fits].CopyTo(buffer.AsSpan(length));
            length += fits;
        }

        OverflowBytes += bytes.Length - Math.Max(fits, 0);
    }

    /// <summary>Keeps <paramref name="text"/> as UTF-8, whole or not at all (so the kept part never ends inside a character).</summary>
    public void AppendText(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        var bytes = Encoding.UTF8.GetByteCount(text);
        if (OverflowBytes > 0 || length + bytes > MaxKeptBytes)
        {
            OverflowBytes += bytes;
            return;
        }

        Reserve(bytes);
        length += Encoding.UTF8.GetBytes(text, buffer.AsSpan(length));
    }

    /// <summary>Keeps the text an event carries (content, thinking, tool names and arguments) and merges its usage.</summary>
    public void Add(in StreamEvent e)
    {
        switch (e.Kind)
        {
            case StreamEventKind.TextDelta or StreamEventKind.ThinkingDelta or StreamEventKind.ToolCallDelta:
                AppendText(e.Text);
                break;
            case StreamEventKind.ToolCallStart:
                AppendText(e.Name);
                break;
            case StreamEventKind.Usage:
                Reported.Merge(e.Usage);
                break;
        }
    }

    /// <summary>Keeps the text of a whole answer: content, thinking, tool names and arguments, a refusal.</summary>
    public void AddAnswer(ChatResponse answer)
    {
        foreach (var part in answer.Content)
        {
            switch (part)
            {
                case TextPart text:
                    AppendText(text.Text);
                    break;
                case ThinkingPart thinking:
                    AppendText(thinking.Text);
                    break;
                case ToolCallPart call:
                    AppendText(call.Name);
                    AppendText(call.Arguments);
                    break;
            }
        }

        AppendText(answer.Refusal);
    }

    private void Reserve(int more)
    {
        var needed = length + more;
        if (buffer is not null && needed <= buffer.Length)
        {
            return;
        }

        var size = Math.Min(MaxKeptBytes, Math.Max(needed, Math.Max(InitialBytes, (buffer?.Length ?? 0) * 2)));
        var bigger = ArrayPool<byte>.Shared.Rent(size);
        if (buffer is not null)
        {
            buffer.AsSpan(0, length).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(buffer);
        }

        buffer = bigger;
    }

    /// <summary>Returns the pooled buffer.</summary>
    public void Dispose()
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
            length = 0;
        }
    }
}
