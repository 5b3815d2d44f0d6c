using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Batches;

/// <summary>Tokens a batch used with one model, summed over its output lines.</summary>
/// <param name="Model">The model the provider says answered (<c>response.body.model</c>).</param>
/// <param name="Usage">The summed usage.</param>
/// <param name="Requests">Output lines counted.</param>
public sealed record BatchModelUsage(string Model, TokenUsage Usage, int Requests);

/// <summary>
/// Reads a batch's output file (OpenAI's JSONL: <c>{"id","custom_id","response":{"status_code","body"},"error"}</c> a
/// line) as it streams from the provider, line by line, and sums <c>response.body.usage</c> per
/// <c>response.body.model</c>: Chat Completions' and embeddings' <c>prompt_tokens</c>/<c>completion_tokens</c> (with
/// <c>prompt_tokens_details.cached_tokens</c> and <c>completion_tokens_details.reasoning_tokens</c>) or Responses'
/// <c>input_tokens</c>/<c>output_tokens</c> (with their <c>_details</c>). A line is held at most
/// <see cref="MaxLineBytes"/>; a longer or unreadable line is counted in <see cref="Skipped"/>, not guessed at.
/// </summary>
public sealed class BatchOutput
{
    /// <summary>The longest output line read (an answer of a few hundred thousand tokens is well below it).</summary>
    public const int MaxLineBytes = 16 * 1024 * 1024;

    private readonly Dictionary<string, (TokenUsage Usage, int Requests)> byModel = new(StringComparer.Ordinal);

    /// <summary>Lines that could not be read (too long, not JSON): their usage is not counted.</summary>
    public int Skipped { get; private set; }

    /// <summary>The sums, one per model, in the order first seen.</summary>
    public IReadOnlyList<BatchModelUsage> Models => [.. byModel.Select(p => new BatchModelUsage(p.Key, p.Value.Usage, p.Value.Requests))];

    /// <summary>Reads <paramref name="stream"/> to its end.</summary>
    public async Task ReadAsync(Stream stream, CancellationToken ct)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024));
        var oversized = false;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(ct).ConfigureAwait(false);
                var buffer = read.Buffer;
                while (buffer.PositionOf((byte)'\n') is { } end)
                {
                    if (oversized)
                    {
                        oversized = false; // the end of a line already counted as skipped
                    }
                    else
                    {
                        Line(buffer.Slice(0, end));
                    }

                    buffer = buffer.Slice(buffer.GetPosition(1, end));
                }

                if (read.IsCompleted)
                {
                    if (buffer.Length > 0 && !oversized)
                    {
                        Line(buffer);
                    }

                    return;
                }

                if (buffer.Length > MaxLineBytes)
                {
                    Skipped += oversized ? 0 : 1;
                    oversized = true;
                    buffer = buffer.Slice(buffer.End); // dropped: the rest of this line is skipped up to its newline
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void Line(ReadOnlySequence<byte> line)
    {
        if (line.Length == 0 || (line.Length == 1 && line.FirstSpan[0] == (byte)'\r'))
        {
            return;
        }

        if (line.Length > MaxLineBytes)
        {
            Skipped++;
            return;
        }

        try
        {
            var reader = new Utf8JsonReader(line);
            using var doc = JsonDocument.ParseValue(ref reader);
            Count(doc.RootElement);
        }
        catch (JsonException)
        {
            Skipped++;
        }
    }

    private void Count(JsonElement root)
    {
        if (!root.TryGetProperty("response", out var response) || response.ValueKind != JsonValueKind.Object
            || !response.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.Object
            || !body.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return; // a request that failed (error set, no body) used nothing the provider bills
        }

        var model = body.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
        var used = new TokenUsage
        {
            InputTokens = Number(usage, "prompt_tokens", "input_tokens"),
            OutputTokens = Number(usage, "completion_tokens", "output_tokens"),
            CacheReadTokens = Detail(usage, "prompt_tokens_details", "input_tokens_details", "cached_tokens"),
            ReasoningTokens = Detail(usage, "completion_tokens_details", "output_tokens_details", "reasoning_tokens"),
        };
        var (sum, requests) = byModel.GetValueOrDefault(model);
        byModel[model] = (Add(sum, used), requests + 1);
    }

    private static TokenUsage Add(TokenUsage a, in TokenUsage b) => new()
    {
        InputTokens = a.InputTokens + b.InputTokens,
        OutputTokens = a.OutputTokens + b.OutputTokens,
        CacheReadTokens = a.CacheReadTokens + b.CacheReadTokens,
        ReasoningTokens = a.ReasoningTokens + b.ReasoningTokens,
    };

    private static long Number(JsonElement usage, string a, string b) =>
        usage.TryGetProperty(a, out var v) && v.TryGetInt64(out var n) ? n : usage.TryGetProperty(b, out v) && v.TryGetInt64(out n) ? n : 0;

    private static long Detail(JsonElement usage, string a, string b, string name) =>
        (usage.TryGetProperty(a, out var d) || usage.TryGetProperty(b, out d)) && d.ValueKind == JsonValueKind.Object
        && d.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : 0;
}
