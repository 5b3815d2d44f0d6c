namespace Switchyard.Usage;

/// <summary>
/// Settle: the last stage, run whatever happened (answered, refused, failed, cancelled), and the only
/// writer of the usage record: exactly one record per request, built from the context and queued to the
/// <see cref="UsageWriter"/>. What the upstream never reported is estimated here first (<see cref="UsageEstimator"/>).
/// Its cost is computed last, from the completed counts (<see cref="CostMeter"/>). A dry run (route explain) leaves no record.
/// </summary>
/// <remarks>Each <see cref="IRequestObserver"/> (metrics, traces) then sees the request and its record.</remarks>
public sealed class Settle(UsageWriter usage, TimeProvider time, UsageEstimator estimator, CostMeter costs, IRequestObserver[]? observers = null)
{
    private readonly IRequestObserver[] observers = observers ?? [];

    /// <summary>Records <paramref name="ctx"/> and releases its pooled buffers (the body, what was delivered).</summary>
    public void Run(GatewayContext ctx)
    {
        try
        {
            if (!ctx.DryRun)
            {
                estimator.Complete(ctx); // before the body is released: the prompt estimate reads it
                var cost = costs.Cost(ctx);
                ctx.CostMicros = cost.Micros;
                var record = ToRecord(ctx, time, cost);
                usage.Enqueue(record);
                ctx.ReleaseHolds();      // limits and budgets are corrected to the final usage
                foreach (var observer in observers) { observer.Observe(ctx, record); }
            }
        }
        finally
        {
            ctx.ReleaseHolds(); // whatever failed above, no reservation or permit outlives the request
            ctx.Body?.Dispose();
            ctx.Form?.Dispose();
            ctx.Delivered?.Dispose();
            ctx.HedgeLoser?.Dispose();
        }
    }

    /// <summary>The usage record of <paramref name="ctx"/>, costed at <paramref name="cost"/>.</summary>
    public static UsageRecord ToRecord(GatewayContext ctx, TimeProvider time, RecordCost cost = default) => new()
    {
        RequestId = ctx.RequestId,
        ClientRequestId = RequestIds.ClientOf(ctx.Http),
        StartedAtMs = ctx.StartedAtMs,
        KeyId = ctx.KeyId,
        TeamId = ctx.TeamId,
        CustomerId = ctx.CustomerId,
        Operation = OperationName(ctx.Operation),
        Format = ctx.Format.Name,
        DroppedParams = ctx.Dropped,
        Adaptations = ctx.Adapted,
        Alias = ctx.Request.Model,
        Route = ctx.RouteName,
        AttemptLog = ctx.AttemptLog,
        Hedged = ctx.Hedged,
        IntendedDeployment = ctx.Intended?.Name ?? (ctx.Plan.Length > 0 ? ctx.Plan[0].Deployment.Name : null),
        FinalDeployment = ctx.Final?.Name,
        FinalModel = ctx.Final?.Config.UpstreamModel,
        Attempts = ctx.Attempts,
        FallbackReason = ctx.FallbackReason == FailureKind.None ? null : FailureKinds.Name(ctx.FallbackReason),
        Stream = ctx.Request.Stream,
        // 499 (nginx's "client closed request"): the client left before any response, so none was sent.
        Status = ctx.Error == FailureKind.ClientCancelled && !ctx.Http.Response.HasStarted ? 499 : ctx.Http.Response.StatusCode,
        ErrorKind = ctx.Error != FailureKind.None ? FailureKinds.Name(ctx.Error) : ctx.RefusalCode,
        PromptTokens = ctx.Usage.InputTokens,
        CompletionTokens = ctx.Usage.OutputTokens,
        CachedTokens = ctx.Usage.CacheReadTokens,
        CacheWriteTokens = ctx.Usage.CacheWriteTokens,
        ReasoningTokens = ctx.Usage.ReasoningTokens,
        TotalTokens = ctx.Usage.TotalTokens,
        UsageSource = ctx.UsageSource,
        HedgeLoserPromptTokens = ctx.HedgeLoser?.Billed.InputTokens ?? 0,
        HedgeLoserCompletionTokens = ctx.HedgeLoser?.Billed.OutputTokens ?? 0,
        CostMicros = cost.Micros,
        PriceVersion = cost.Version,
        LatencyMs = time.GetElapsedTime(ctx.StartTimestamp).TotalMilliseconds,
        TimeToFirstTokenMs = ctx.FirstByteTimestamp == 0 ? null : time.GetElapsedTime(ctx.StartTimestamp, ctx.FirstByteTimestamp).TotalMilliseconds,
        Cache = ctx.Cache?.Status switch { CacheStatus.Hit => "hit", CacheStatus.SemanticHit => "semantic-hit", CacheStatus.Miss => "miss", _ => null },
        CostSavedMicros = cost.SavedMicros,
        Guardrails = ctx.Guard?.Summary(),
    };

    /// <summary>The operation as recorded.</summary>
    public static string OperationName(Operation operation) => operation switch
    {
        Operation.Embeddings => "embeddings",
        Operation.Responses => "responses",
        Operation.Messages => "messages",
        Operation.GenerateContent => "generate_content",
        Operation.ChatCompletions => "chat.completions",
        Operation.Moderations => "moderations",
        Operation.Rerank => "rerank",
        Operation.ImageGenerations => "images.generations",
        Operation.ImageEdits => "images.edits",
        Operation.Speech => "audio.speech",
        Operation.Transcriptions => "audio.transcriptions",
        Operation.Translations => "audio.translations",
        Operation.Videos => "videos",
        Operation.VideoRetrieve => "videos.retrieve",
        Operation.VideoList => "videos.list",
        Operation.VideoContent => "videos.content",
        Operation.VideoDelete => "videos.delete",
        Operation.VideoRemix => "videos.remix",
        Operation.Batches => "batches",
        Operation.FileUpload => "files.upload",
        Operation.FileList => "files.list",
        Operation.FileRetrieve => "files.retrieve",
        Operation.FileDelete => "files.delete",
        Operation.FileContent => "files.content",
        Operation.BatchCreate => "batches.create",
        Operation.BatchList => "batches.list",
        Operation.BatchRetrieve => "batches.retrieve",
        Operation.BatchCancel => "batches.cancel",
        _ => "other",
    };
}
