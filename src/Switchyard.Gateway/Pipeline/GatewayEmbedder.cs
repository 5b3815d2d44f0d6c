using System.Buffers;
using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Switchyard.Dispatch;
using Switchyard.Governance;
using Switchyard.Providers.OpenAI;
using Switchyard.Routing;
using Switchyard.Usage;

namespace Switchyard.Pipeline;

/// <summary>
/// The semantic cache's embeddings (<see cref="ICacheEmbedder"/>), made as a request of the gateway's own: an OpenAI
/// <c>/v1/embeddings</c> body for the embedding alias, run through the pipeline's own Plan, Budget and Dispatch stages
/// (retries, fallback, breakers, passthrough or translation), and settled into a usage record of its own, for the caller's key, team and
/// customer, with route <see cref="RouteName"/> and request id <c>ID-embed</c>. So the embedding is metered and
/// priced, and it reserves in and is charged to the caller's budgets like any request (<see cref="BudgetStage"/>: a
/// budget that cannot take it makes the lookup a miss). It does not pass the caller's rate limits a second time (the
/// request it serves already did), and it runs within the policy's <c>timeout</c>; a failure is a miss, never a
/// failed request.
/// </summary>
public sealed class GatewayEmbedder(PlanStage plan, BudgetStage budgets, Dispatcher dispatcher, Settle settle, TimeProvider time) : ICacheEmbedder
{
    /// <summary>The route an embedding's usage record names.</summary>
    public const string RouteName = "cache.semantic";

    /// <inheritdoc />
    public async ValueTask<float[]?> EmbedAsync(GatewayContext ctx, string alias, string text, TimeSpan timeout)
    {
        if (!ctx.Table.Aliases.TryGetValue(alias, out var route))
        {
            return null; // the binder checks the name; a reload may have removed it since
        }

        var body = Body(alias, text);
        var http = new DefaultHttpContext();
        using var output = new MemoryStream();
        http.Response.Body = output;
        var sub = new GatewayContext(http, OpenAIChatFormat.Instance, Operation.Embeddings, ctx.Table, ctx.RequestId + "-embed",
            time.GetTimestamp(), time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            Caller = ctx.Caller,
            CustomerId = ctx.CustomerId,
            Body = RequestBody.Copy(body),
            RouteName = RouteName,
            Route = route,
            ClientDeadline = timeout,
        };
        try
        {
            if (OpenAIChatFormat.Instance.ParseHead(body, http, Operation.Embeddings, out sub.Request) is not null
                || !await plan.RunAsync(sub).ConfigureAwait(false) // no deployment can serve it: refused and recorded (503 or 400)
                || !await budgets.RunAsync(sub).ConfigureAwait(false))
            {
                return null;
            }

            await dispatcher.RunAsync(sub).ConfigureAwait(false);
        }
        finally
        {
            settle.Run(sub);
        }

        return sub.Error == FailureKind.None && http.Response.StatusCode == 200 ? Read(output.GetBuffer().AsSpan(0, (int)output.Length)) : null;
    }

    /// <summary><c>{"model":ALIAS,"input":TEXT,"encoding_format":"float"}</c>.</summary>
    private static byte[] Body(string alias, string text)
    {
        var buffer = new ArrayBufferWriter<byte>(text.Length + 96);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model", alias);
            writer.WriteString("input", text);
            writer.WriteString("encoding_format", "float");
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The first vector of an OpenAI embeddings list (floats, or base64 float32 from an upstream that ignored the format), scaled to unit length; null when unreadable or zero.</summary>
    public static float[]? Read(ReadOnlySpan<byte> json)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            if (!document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array || data.GetArrayLength() == 0
                || !data[0].TryGetProperty("embedding", out var embedding))
            {
                return null;
            }

            return Normalize(embedding.ValueKind == JsonValueKind.String ? FromBase64(embedding.GetBytesFromBase64())
                : embedding.EnumerateArray().Select(static v => v.GetSingle()).ToArray());
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    private static float[] FromBase64(byte[] bytes)
    {
        var vector = new float[bytes.Length / sizeof(float)];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        }

        return vector;
    }

    private static float[]? Normalize(float[] vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (vector.Length == 0 || !float.IsFinite(norm) || norm == 0)
        {
            return null;
        }

        TensorPrimitives.Divide(vector, norm, vector);
        return vector;
    }
}
