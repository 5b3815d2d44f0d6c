using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Upstream;

namespace Switchyard.Dispatch;

/// <summary>
/// An embeddings request served through a provider's embeddings API by translation (an OpenAI client to
/// Gemini or Bedrock, a Gemini client to any of them): the client's format reads the body into an
/// <see cref="EmbeddingsRequest"/>, the provider builds and reads its own call, and the format writes the
/// vectors back in the client's shape. Same-protocol OpenAI traffic never comes here: it passes through.
/// </summary>
public sealed class EmbeddingsAttempts(UpstreamHttp upstream, TimeProvider time, DrainSignal drain)
{
    /// <summary>Runs the attempt. Null means committed; otherwise nothing was written.</summary>
    /// <param name="meter">A hedged attempt's collector, which keeps the reported usage if it loses (null otherwise).</param>
    public async Task<UpstreamFailure?> RunAsync(GatewayContext ctx, IEmbeddingsProvider provider, IProviderAdapter adapter,
        DeploymentTarget deployment, TimeSpan remaining, CancellationToken abort, DeliveredContent? meter)
    {
        if (Prepare(ctx, provider, deployment, out var request, out var refused) is not { } message)
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

    /// <summary>
    /// The client's request in canonical form and the provider's call for it; null, with <paramref name="refused"/>
    /// saying why, when the client's format has no embeddings or this deployment cannot take the request.
    /// </summary>
    private static HttpRequestMessage? Prepare(GatewayContext ctx, IEmbeddingsProvider provider, DeploymentTarget deployment,
        out EmbeddingsRequest request, out UpstreamFailure? refused)
    {
        request = new EmbeddingsRequest([], null, false);
        if (ctx.Format is not IEmbeddingsFormat format)
        {
            refused = new UpstreamFailure(FailureKind.UnsupportedCapability, $"the {ctx.Format.Name} format has no embeddings operation");
            return null;
        }

        if (format.ReadEmbeddings(ctx.Body!.Span, ctx.Http, out request) is { } unreadable)
        {
            refused = new UpstreamFailure(FailureKind.UnsupportedCapability, $"deployment '{deployment.Name}': {unreadable.Message}") { Param = unreadable.Param };
            return null;
        }

        return Build(provider, request, deployment, out refused);
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
        ((IEmbeddingsFormat)ctx.Format).WriteEmbeddings(result, request, deployment.Config.UpstreamModel, tokens, output);
        return ClientResponses.WriteWholeAsync(ctx, deployment, 200, "application/json", output.WrittenMemory, time);
    }

    /// <summary>
    /// The upstream's count; providers that report none get the chars/4 estimate, so the record is never silently
    /// zero (the vectors are what the client is given; there is no completion to count).
    /// </summary>
    private static long PromptTokens(EmbeddingsRequest request, EmbeddingsResult result) =>
        result.PromptTokens ?? request.Inputs.Sum(i => (i.Length + 3) / 4);
}
