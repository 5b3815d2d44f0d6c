using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Pipeline;
using Switchyard.Routing;
using Switchyard.Upstream;

namespace Switchyard.Dispatch;

/// <summary>
/// An embeddings request served through a provider's embeddings API by translation (an OpenAI client to
/// Gemini or Bedrock, a Gemini client to any of them): the client's format reads the body into an
/// <see cref="EmbeddingsRequest"/>, the provider builds and reads its own call, and the format writes the
/// vectors back in the client's shape. Same-protocol OpenAI traffic never comes here: it passes through.
/// </summary>
public sealed class EmbeddingsAttempts(UpstreamHttp upstream, TimeProvider time)
{
    /// <summary>Runs the attempt. Null means committed; otherwise nothing was written.</summary>
    public async Task<UpstreamFailure?> RunAsync(GatewayContext ctx, IEmbeddingsProvider provider, IProviderAdapter adapter,
        DeploymentTarget deployment, TimeSpan remaining, CancellationToken abort)
    {
        if (ctx.Format is not IEmbeddingsFormat format)
        {
            return new UpstreamFailure(FailureKind.UnsupportedCapability, $"the {ctx.Format.Name} format has no embeddings operation");
        }

        if (format.ReadEmbeddings(ctx.Body!.Span, ctx.Http, out var request) is { } unreadable)
        {
            return new UpstreamFailure(FailureKind.UnsupportedCapability, $"deployment '{deployment.Name}': {unreadable.Message}") { Param = unreadable.Param };
        }

        if (Build(provider, request, deployment, out var refused) is not { } message)
        {
            return refused;
        }

        var timeouts = deployment.Config.Timeouts;
        using var timer = new AttemptTimer(time, remaining < timeouts.Total ? remaining : timeouts.Total, abort);
        using var _ = message;
        var (response, sendFailure) = await UpstreamSend.SendAsync(upstream, message, deployment, timer, adapter, null).ConfigureAwait(false);
        if (sendFailure is not null)
        {
            return sendFailure;
        }

        using (response)
        {
            var (buffer, length, failure) = await PassthroughAttempts.ReadWholeAsync(response!, deployment, timer, timeouts.Idle).ConfigureAwait(false);
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
                return new UpstreamFailure(FailureKind.ServerError, $"deployment '{deployment.Name}' returned embeddings that could not be read: {ex.Message}", 502);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer!);
            }

            if (!ctx.TryCommit())
            {
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
        // Providers that report no count get the chars/4 estimate, so the record is never silently zero.
        var tokens = result.PromptTokens ?? request.Inputs.Sum(i => (i.Length + 3) / 4);
        ctx.Usage = new TokenUsage { InputTokens = tokens };
        var output = new ArrayBufferWriter<byte>(1024 + result.Vectors.Sum(v => v.Length * 12));
        ((IEmbeddingsFormat)ctx.Format).WriteEmbeddings(result, request, deployment.Config.UpstreamModel, tokens, output);
        return ClientResponses.WriteWholeAsync(ctx, deployment, 200, "application/json", output.WrittenMemory, time);
    }
}
