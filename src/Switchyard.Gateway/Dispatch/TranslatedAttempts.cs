using System.Buffers;
using System.Text.Json;
using Switchyard.Canonical;
using Switchyard.Upstream;

namespace Switchyard.Dispatch;

/// <summary>
/// One upstream attempt on the translated path: canonical request → the provider's wire format →
/// canonical answer → the client's format. Same commit-point rules as the passthrough path.
/// </summary>
public sealed class TranslatedAttempts(UpstreamHttp upstream, TimeProvider time, DrainSignal drain)
{
    /// <summary>Header naming request fields dropped in translation (only with <c>drop_unsupported_params</c>).</summary>
    public const string DroppedHeader = "x-switchyard-dropped-params";

    /// <summary>Header naming what the model's rules changed (<c>param:change</c>, see <see cref="ModelRules"/>).</summary>
    public const string AdaptedHeader = "x-switchyard-adapted";

    /// <summary>Runs the attempt. Null means committed; otherwise nothing was written.</summary>
    /// <param name="meter">A hedged attempt's collector, which keeps what it was sent if it loses (null otherwise).</param>
    public async Task<UpstreamFailure?> RunAsync(GatewayContext ctx, IProviderAdapter adapter, DeploymentTarget deployment, TimeSpan remaining,
        CancellationToken abort, DeliveredContent? meter)
    {
        var allowDrop = ctx.Route!.Alias.DropUnsupportedParams;
        var adaptations = new List<string>();
        var request = ModelRules.Apply(ctx.Canonical!, deployment, allowDrop, adaptations, out var refusal);
        if (request is null)
        {
            return refusal;
        }

        UpstreamRequest built;
        try
        {
            built = adapter.BuildRequest(request, deployment, allowDrop);
        }
        catch (UnsupportedFeatureException ex)
        {
            return new UpstreamFailure(FailureKind.UnsupportedCapability, $"deployment '{deployment.Name}': {ex.Message}") { Param = ex.Field };
        }

        var timeouts = deployment.Config.Timeouts;
        using var timer = new AttemptTimer(time, remaining < timeouts.Total ? remaining : timeouts.Total, abort, drain.Expired);
        using var message = built.Message;
        var (response, failure) = await UpstreamSend.SendAsync(upstream, message, deployment, timer, adapter, null).ConfigureAwait(false);
        if (failure is not null)
        {
            return failure;
        }

        using (response)
        {
            var droppedNames = request.InboundDropped.Count == 0 ? built.Dropped : [.. request.InboundDropped, .. built.Dropped];
            var notes = new AttemptNotes(
                droppedNames.Count > 0 ? string.Join(",", droppedNames.Distinct()) : null,
                adaptations.Count > 0 ? string.Join(",", adaptations) : null);
            if (request.Stream && response!.Content.Headers.ContentType?.MediaType != "application/json")
            {
                return await TranslatedStream.RunAsync(ctx, adapter, deployment, response, timer, time, notes, meter).ConfigureAwait(false);
            }

            return await WholeAsync(ctx, adapter, deployment, response!, timer, notes, meter).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A whole answer: read (bounded by <c>server.max_upstream_response_size</c>: translating costs several times the
    /// body's size), parsed, committed and re-encoded in the client's format. A body that cannot be read is the
    /// upstream's fault (<see cref="FailureKind.InvalidResponse"/>), so another deployment may still answer.
    /// </summary>
    private async Task<UpstreamFailure?> WholeAsync(GatewayContext ctx, IProviderAdapter adapter, DeploymentTarget deployment,
        HttpResponseMessage response, AttemptTimer timer, AttemptNotes notes, DeliveredContent? meter)
    {
        var max = ctx.Table.Config.Server.MaxUpstreamResponseSize;
        var (buffer, length, failure) = await PassthroughAttempts.ReadWholeAsync(response, deployment, timer, deployment.Config.Timeouts.Idle, max).ConfigureAwait(false);
        if (failure is not null)
        {
            return failure;
        }

        ChatResponse answer;
        try
        {
            answer = adapter.ParseResponse(buffer.AsSpan(0, length), deployment);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            return new UpstreamFailure(FailureKind.InvalidResponse, $"deployment '{deployment.Name}' returned a body that could not be read: {ex.Message}", 502);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer!);
        }

        if (answer.Created == 0)
        {
            answer.Created = time.GetUtcNow().ToUnixTimeSeconds();
        }

        if (!ctx.TryCommit())
        {
            Received(meter, answer); // a hedge that lost: what it was sent counts to its cost
            return UpstreamFailure.Lost(deployment);
        }

        ctx.Dropped = notes.Dropped;
        ctx.Adapted = notes.Adapted;
        ctx.Usage.Merge(answer.Usage);
        if (ctx.Guard?.Output?.OnAnswer(answer) is { } blocked)
        {
            ctx.Final = deployment;
            await ctx.RefuseAsync(blocked).ConfigureAwait(false); // a guardrail refused the answer: the client gets why, not the answer
            return null;
        }

        if (ctx.Cache?.Capture is { } capture)
        {
            capture.SetAnswer(answer, deployment); // for the exact cache (docs/adr/0015)
            capture.Completed();
        }

        if (answer.Usage.InputTokens == 0 && answer.Usage.OutputTokens == 0)
        {
            Received(ctx.Delivered = meter ?? new DeliveredContent(deployment, adapter), answer); // no usage: Settle counts the answer
        }

        var output = new ArrayBufferWriter<byte>(1024);
        ctx.Format!.WriteResponse(answer, deployment.Config.UpstreamModel, output);
        await ClientResponses.WriteWholeAsync(ctx, deployment, 200, "application/json", output.WrittenMemory, time).ConfigureAwait(false);
        return null;
    }

    /// <summary>Keeps a whole answer's text and usage in <paramref name="meter"/>, if there is one.</summary>
    private static void Received(DeliveredContent? meter, ChatResponse answer)
    {
        if (meter is null)
        {
            return;
        }

        meter.Form = DeliveredForm.Text;
        meter.Complete = true;
        meter.Reported.Merge(answer.Usage);
        meter.AddAnswer(answer);
    }
}

/// <summary>What a translated attempt changed in the request: fields dropped in translation, and the model rules' adaptations.</summary>
public readonly record struct AttemptNotes(string? Dropped, string? Adapted);
