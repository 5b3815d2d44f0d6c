using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Upstream;

namespace Switchyard.Dispatch;

/// <summary>
/// An OpenAI embeddings request served by a provider's own embeddings API (Gemini, Bedrock): the body is
/// read into an <see cref="EmbeddingsRequest"/>, sent, and the vectors are written back as an OpenAI
/// <c>list</c> of <c>embedding</c> objects, as float arrays or, when the client asked, base64 of the
/// little-endian float32 values (what the OpenAI SDKs request by default).
/// </summary>
public sealed class EmbeddingsAttempts(UpstreamHttp upstream, TimeProvider time, DrainSignal drain)
{
    /// <summary>Runs the attempt. Null means committed; otherwise nothing was written.</summary>
    /// <param name="meter">A hedged attempt's collector, which keeps the reported usage if it loses (null otherwise).</param>
    public async Task<UpstreamFailure?> RunAsync(GatewayContext ctx, IEmbeddingsProvider provider, IProviderAdapter adapter,
        DeploymentTarget deployment, TimeSpan remaining, CancellationToken abort, DeliveredContent? meter)
    {
        if (Read(ctx.Body!.Span) is not { } request)
        {
            return new UpstreamFailure(FailureKind.UnsupportedCapability,
                $"deployment '{deployment.Name}' takes text inputs only (token-array inputs cannot be translated)") { Param = "input" };
        }

        if (Build(provider, request, deployment, out var refused) is not { } message)
        {
            return refused;
        }

        var timeouts = deployment.Config.Timeouts;
        using var timer = new AttemptTimer(time, remaining < timeouts.Total ? remaining : timeouts.Total, abort, drain.Expired);
        using var _ = message;
        var (response, sendFailure) = await UpstreamSend.SendAsync(upstream, message, deployment, timer, adapter, null).ConfigureAwait(false);
        if (sendFailure is not null)
        {
            return sendFailure;
        }

        using (response)
        {
            var (buffer, length, failure) = await PassthroughAttempts.ReadWholeAsync(response!, deployment, timer, timeouts.Idle,
                ctx.Table.Config.Server.MaxUpstreamResponseSize).ConfigureAwait(false);
            if (failure is not null)
            {
                return failure;
            }

            EmbeddingsResult result;
            try
            {
                result = provider.ParseEmbeddings(buffer.AsSpan(0, length), request);
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                return new UpstreamFailure(FailureKind.InvalidResponse, $"deployment '{deployment.Name}' returned embeddings that could not be read: {ex.Message}", 502);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer!);
            }

            if (!ctx.TryCommit())
            {
                if (meter is not null)
                {
                    meter.Complete = true;
                    meter.Reported.InputTokens = PromptTokens(request, result); // a hedge that lost: its cost
                }

                return UpstreamFailure.Lost(deployment);
            }

            await WriteAnswer(ctx, deployment, request, result).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>The provider's request; null, with <paramref name="refused"/> saying why, when this deployment cannot take it.</summary>
    private static HttpRequestMessage? Build(IEmbeddingsProvider provider, EmbeddingsRequest request, DeploymentTarget deployment,
        out UpstreamFailure? refused)
    {
        refused = null;
        try
        {
            return provider.BuildEmbeddings(request, deployment);
        }
        catch (UnsupportedFeatureException ex)
        {
            refused = new UpstreamFailure(FailureKind.UnsupportedCapability, $"deployment '{deployment.Name}': {ex.Message}") { Param = ex.Field };
            return null;
        }
    }

    /// <summary>Once committed: meters the tokens and writes the OpenAI <c>list</c>.</summary>
    private Task WriteAnswer(GatewayContext ctx, DeploymentTarget deployment, EmbeddingsRequest request, EmbeddingsResult result)
    {
        var tokens = PromptTokens(request, result);
        ctx.Usage = new TokenUsage { InputTokens = tokens };
        var output = new ArrayBufferWriter<byte>(1024 + result.Vectors.Sum(v => v.Length * 12));
        Write(output, result, request, deployment.Config.UpstreamModel, tokens);
        return ClientResponses.WriteWholeAsync(ctx, deployment, 200, "application/json", output.WrittenMemory, time);
    }

    /// <summary>
    /// The upstream's count; providers that report none get the chars/4 estimate, so the record is never silently
    /// zero (the vectors are what the client is given; there is no completion to count).
    /// </summary>
    private static long PromptTokens(EmbeddingsRequest request, EmbeddingsResult result) =>
        result.PromptTokens ?? request.Inputs.Sum(i => (i.Length + 3) / 4);

    /// <summary>The request, or null when its input is not text (token arrays).</summary>
    internal static EmbeddingsRequest? Read(ReadOnlySpan<byte> body)
    {
        using var doc = JsonDocument.Parse(body.ToArray());
        var root = doc.RootElement;
        var input = root.GetProperty("input");
        List<string> inputs;
        if (input.ValueKind == JsonValueKind.String)
        {
            inputs = [input.GetString()!];
        }
        else if (input.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
        {
            inputs = input.EnumerateArray().Select(e => e.GetString()!).ToList();
        }
        else
        {
            return null;
        }

        int? dimensions = root.TryGetProperty("dimensions", out var d) && d.TryGetInt32(out var n) ? n : null;
        var base64 = root.TryGetProperty("encoding_format", out var f) && f.ValueKind == JsonValueKind.String && f.GetString() == "base64";
        return new EmbeddingsRequest(inputs, dimensions, base64);
    }

    /// <summary>Writes the OpenAI embeddings list.</summary>
    internal static void Write(IBufferWriter<byte> output, EmbeddingsResult result, EmbeddingsRequest request, string model, long tokens)
    {
        using var w = new Utf8JsonWriter(output);
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        for (var i = 0; i < result.Vectors.Count; i++)
        {
            w.WriteStartObject();
            w.WriteString("object", "embedding");
            w.WriteNumber("index", i);
            if (request.Base64)
            {
                // OpenAI's base64 format: the float32 values, little-endian, back to back.
                w.WriteBase64String("embedding", MemoryMarshal.AsBytes(result.Vectors[i].AsSpan()));
            }
            else
            {
                w.WriteStartArray("embedding");
                foreach (var v in result.Vectors[i])
                {
                    w.WriteNumberValue(v);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("model", model);
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", tokens);
        w.WriteNumber("total_tokens", tokens);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
