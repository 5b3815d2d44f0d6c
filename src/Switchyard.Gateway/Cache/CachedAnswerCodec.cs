using System.Text;
using Switchyard.Canonical;

namespace Switchyard.Cache;

/// <summary>
/// A <see cref="CachedAnswer"/> as bytes, for a shared store (Redis): a version byte, the model, the deployment's name,
/// the usage, then each event as its kind, a byte of flags for the fields it carries, those strings (length-prefixed
/// UTF-8), its index and finish reason, and its usage when it has one. Integers are 7-bit varints, so a typical answer
/// of a few hundred characters in a few dozen events takes a few hundred bytes more than its text. The deployment is
/// stored by name and found again in the live configuration on a read: an entry whose deployment is gone is a miss.
/// </summary>
public static class CachedAnswerCodec
{
    /// <summary>The format's version: an entry of another version is a miss (a rolling upgrade never misreads one).</summary>
    public const byte Version = 1;

    private const byte HasText = 1, HasId = 2, HasName = 4, HasModel = 8, HasUsage = 16;

    /// <summary>The bytes of <paramref name="answer"/>.</summary>
    public static byte[] Encode(CachedAnswer answer)
    {
        using var stream = new MemoryStream(256 + (int)Math.Min(answer.SizeBytes / 2, 1 << 20));
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Version);
            w.Write(answer.Model);
            w.Write(answer.Deployment.Name);
            WriteUsage(w, answer.Usage);
            w.Write7BitEncodedInt(answer.Events.Length);
            foreach (var e in answer.Events)
            {
                WriteEvent(w, e);
            }
        }

        return stream.ToArray();
    }

    /// <summary>The answer in <paramref name="bytes"/>, its deployment found by <paramref name="deployment"/>; null when unreadable, of another version, or its deployment is gone.</summary>
    public static CachedAnswer? Decode(byte[] bytes, Func<string, DeploymentTarget?> deployment)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, writable: false), Encoding.UTF8);
            if (r.ReadByte() != Version)
            {
                return null;
            }

            var model = r.ReadString();
            if (deployment(r.ReadString()) is not { } target)
            {
                return null;
            }

            var usage = ReadUsage(r);
            var events = new StreamEvent[r.Read7BitEncodedInt()];
            long size = 256;
            for (var i = 0; i < events.Length; i++)
            {
                events[i] = ReadEvent(r);
                size += CacheCapture.EstimatedBytes(events[i]);
            }

            return new CachedAnswer(events, model, usage, target, size);
        }
        catch (Exception ex) when (ex is EndOfStreamException or FormatException or OverflowException or IOException)
        {
            return null;
        }
    }

    private static void WriteEvent(BinaryWriter w, in StreamEvent e)
    {
        var hasUsage = e.Kind == StreamEventKind.Usage;
        w.Write((byte)e.Kind);
        w.Write((byte)((e.Text is null ? 0 : HasText) | (e.Id is null ? 0 : HasId) | (e.Name is null ? 0 : HasName)
                       | (e.Model is null ? 0 : HasModel) | (hasUsage ? HasUsage : 0)));
        WriteIf(w, e.Text);
        WriteIf(w, e.Id);
        WriteIf(w, e.Name);
        WriteIf(w, e.Model);
        w.Write7BitEncodedInt(e.Index);
        w.Write((byte)e.Finish);
        if (hasUsage)
        {
            WriteUsage(w, e.Usage);
        }
    }

    private static StreamEvent ReadEvent(BinaryReader r)
    {
        var kind = (StreamEventKind)r.ReadByte();
        var flags = r.ReadByte();
        return new StreamEvent(kind)
        {
            Text = (flags & HasText) != 0 ? r.ReadString() : null,
            Id = (flags & HasId) != 0 ? r.ReadString() : null,
            Name = (flags & HasName) != 0 ? r.ReadString() : null,
            Model = (flags & HasModel) != 0 ? r.ReadString() : null,
            Index = r.Read7BitEncodedInt(),
            Finish = (FinishReason)r.ReadByte(),
            Usage = (flags & HasUsage) != 0 ? ReadUsage(r) : default,
        };
    }

    private static void WriteIf(BinaryWriter w, string? text)
    {
        if (text is not null)
        {
            w.Write(text);
        }
    }

    private static void WriteUsage(BinaryWriter w, in TokenUsage u)
    {
        w.Write7BitEncodedInt64(u.InputTokens);
        w.Write7BitEncodedInt64(u.OutputTokens);
        w.Write7BitEncodedInt64(u.CacheReadTokens);
        w.Write7BitEncodedInt64(u.CacheWriteTokens);
        w.Write7BitEncodedInt64(u.CacheWrite1hTokens);
        w.Write7BitEncodedInt64(u.ReasoningTokens);
    }

    private static TokenUsage ReadUsage(BinaryReader r) => new()
    {
        InputTokens = r.Read7BitEncodedInt64(),
        OutputTokens = r.Read7BitEncodedInt64(),
        CacheReadTokens = r.Read7BitEncodedInt64(),
        CacheWriteTokens = r.Read7BitEncodedInt64(),
        CacheWrite1hTokens = r.Read7BitEncodedInt64(),
        ReasoningTokens = r.Read7BitEncodedInt64(),
    };
}
