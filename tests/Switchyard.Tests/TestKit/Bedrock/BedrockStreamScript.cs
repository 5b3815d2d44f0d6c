using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit.Bedrock;

/// <summary>
/// A ConverseStream body written as readable JSON lines and encoded to real event-stream frames. One line per
/// frame:
/// <code>
/// {"event": "contentBlockDelta", "data": {"contentBlockIndex": 0, "delta": {"text": "Hi"}}}
/// {"exception": "throttlingException", "data": {"message": "Too many requests"}}
/// {"event": "contentBlockDelta", "data": {...}, "truncate": 20}   // only the first 20 bytes; the body ends there
/// {"event": "contentBlockDelta", "data": {...}, "corrupt": true}  // one payload byte flipped after checksumming
/// </code>
/// Blank lines and lines starting with <c>//</c> are skipped.
/// </summary>
public sealed class BedrockStreamScript
{
    private BedrockStreamScript(IReadOnlyList<byte[]> frames) => Frames = frames;

    /// <summary>The encoded frames, in order (a truncated frame is the last).</summary>
    public IReadOnlyList<byte[]> Frames { get; }

    /// <summary>Parses a script.</summary>
    public static BedrockStreamScript Parse(string jsonLines)
    {
        var frames = new List<byte[]>();
        foreach (var raw in jsonLines.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            var node = JsonNode.Parse(line)!.AsObject();
            var data = node["data"]?.ToJsonString() ?? "{}";
            var frame = node["exception"] is { } exception
                ? EventStreamWriter.Exception(exception.GetValue<string>(), data)
                : EventStreamWriter.Event(node["event"]!.GetValue<string>(), data);
            if (node["corrupt"]?.GetValue<bool>() == true)
            {
                frame[^5] ^= 0x20; // last payload byte: the message CRC no longer matches
            }

            if (node["truncate"] is { } truncate)
            {
                frames.Add(frame[..truncate.GetValue<int>()]);
                break;
            }

            frames.Add(frame);
        }

        return new BedrockStreamScript(frames);
    }

    /// <summary>Reads a script file.</summary>
    public static BedrockStreamScript Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>The whole body.</summary>
    public byte[] ToBytes() => Frames.SelectMany(f => f).ToArray();
}
