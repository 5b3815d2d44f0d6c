using Microsoft.AspNetCore.Http;
using Switchyard.Canonical;

namespace Switchyard.Core;

/// <summary>
/// Everything known about one request, carried through the stages. Each field names the stage that sets
/// it; later stages only read what earlier ones wrote. Settle turns it into the <see cref="UsageRecord"/>.
/// </summary>
public sealed class GatewayContext(HttpContext http, IInboundFormat format, Operation operation, RouteTable table, string requestId, long startTimestamp, long startedAtMs)
{
    /// <summary>Pipeline: the routing snapshot for the whole request, even across a reload.</summary>
    public RouteTable Table { get; } = table;

    /// <summary>
    /// Pipeline: a dry run (route explain): every stage decides as for real and writes the same refusals, but
    /// nothing is spent (no upstream call, no shadow copy, no counter, no usage record).
    /// </summary>
    public bool DryRun { get; init; }

    /// <summary>Ingress: the client's API dialect (parsing, rendering, error shape).</summary>
    public IInboundFormat Format { get; } = format;

    /// <summary>Ingress: the ASP.NET Core request.</summary>
    public HttpContext Http { get; } = http;

    /// <summary>Ingress: which endpoint.</summary>
    public Operation Operation { get; } = operation;

    /// <summary>Ingress: the id echoed in <c>x-request-id</c>.</summary>
    public string RequestId { get; } = requestId;

    /// <summary>Ingress: <see cref="TimeProvider.GetTimestamp"/> at arrival.</summary>
    public long StartTimestamp { get; } = startTimestamp;

    /// <summary>Ingress: wall-clock arrival, Unix ms.</summary>
    public long StartedAtMs { get; } = startedAtMs;

    /// <summary>Ingress: the client's own deadline for the whole request (<c>x-switchyard-timeout</c>), if any.</summary>
    public TimeSpan? ClientDeadline { get; set; }

    /// <summary>Auth: who is calling (key id, role, permissions).</summary>
    public Caller? Caller { get; set; }

    /// <summary>Auth: the caller's key id (recorded in usage).</summary>
    public string? KeyId => Caller?.KeyId;

    /// <summary>Auth: the caller's team (recorded in usage), from its key.</summary>
    public string? TeamId => Caller?.Policy.TeamId;

    /// <summary>
    /// Admission: the customer (a team's end user) the request is made for: the key's own customer, else
    /// <c>x-switchyard-customer</c>, else the body's <c>user</c>; at most 256 characters. Recorded in usage.
    /// </summary>
    public string? CustomerId { get; set; }

    /// <summary>Ingress: the body, pooled.</summary>
    public RequestBody? Body { get; set; }

    /// <summary>Ingress: routing fields and offsets of the body.</summary>
    public RequestHead Request;

    /// <summary>
    /// Ingress: a multipart upload's fields and spooled files (image edits, transcriptions); null for a JSON body. Its
    /// text fields are also <see cref="Body"/>, as JSON. Settle disposes it (the spooled files are deleted).
    /// </summary>
    public UploadedForm? Form { get; set; }

    /// <summary>
    /// Dispatch: the gateway's id of the job a provider accepted for this request (a video create), or null. Its budget
    /// reservation is then kept for the job (settled when the job completes), not released with the request.
    /// </summary>
    public string? AcceptedJob { get; set; }

    /// <summary>Jobs: the stored job a follow-up call (poll, download, delete) is about, found for the caller's key.</summary>
    public UpstreamObject? Job { get; set; }

    /// <summary>Dispatch: what a media answer used (images, characters, seconds, search units), priced in Settle.</summary>
    public MediaUsage Media { get; set; }

    /// <summary>
    /// Conversations: the stored conversation a Responses request continues (<c>previous_response_id</c>,
    /// <c>item_reference</c>), resolved before routing, and where its answer is kept; null for other formats.
    /// </summary>
    public ConversationTurn? Conversation { get; set; }

    /// <summary>Dispatch: the canonical request, parsed once when the first translated attempt needs it.</summary>
    public ChatRequest? Canonical { get; set; }

    /// <summary>Dispatch: fields dropped in translation by the attempt that answered.</summary>
    public string? Dropped { get; set; }

    /// <summary>What the model's rules changed in the request that was sent (<c>x-switchyard-adapted</c>), or null.</summary>
    public string? Adapted { get; set; }

    /// <summary>Route: the conditional route that applied (<c>routes.NAME</c>), if any.</summary>
    public string? RouteName { get; set; }

    /// <summary>Route: the fallback policy in force (the route's, else the alias's).</summary>
    public FallbackPolicy? Policy { get; set; }

    /// <summary>Route: the alias that serves the request (the route's primary model or split arm, else the body's model).</summary>
    public AliasRoute? Route { get; set; }

    /// <summary>Route: the route's shadow model when this request was drawn for a shadow copy (started by the pipeline).</summary>
    public AliasRoute? Shadow { get; set; }

    /// <summary>Plan (dry run only): deployments left out of the plan, and why.</summary>
    public List<Exclusion>? Exclusions { get; set; }

    /// <summary>Route: intended deployment first, then the fallback chain.</summary>
    public PlanStep[] Plan { get; set; } = [];

    /// <summary>Dispatch: upstream attempts made (a field so hedged attempts can count atomically).</summary>
    public int AttemptCount;

    /// <summary>Dispatch: upstream attempts made.</summary>
    public int Attempts => Volatile.Read(ref AttemptCount);

    /// <summary>Dispatch: the deployment that answered (or was tried last).</summary>
    public DeploymentTarget? Final { get; set; }

    /// <summary>Dispatch: the first failure that made the dispatcher retry or switch.</summary>
    public FailureKind FallbackReason { get; set; }

    /// <summary>Dispatch/Ingress: why the request failed, if it did (also set when a stream broke after commit).</summary>
    public FailureKind Error { get; set; }

    /// <summary>Ingress refusal code (e.g. <c>invalid_api_key</c>) when the request never reached dispatch.</summary>
    public string? RefusalCode { get; set; }

    private int committed;
    private List<LoggedAttempt>? attemptLog;

    /// <summary>
    /// Dispatch: records one attempt's outcome (and when it started, <see cref="TimeProvider.GetTimestamp"/>) for the
    /// usage record and the metrics (formatted only when the record is built).
    /// </summary>
    public void LogAttempt(DeploymentTarget deployment, FailureKind outcome, long startTimestamp, TimeSpan elapsed)
    {
        // Hedged attempts log concurrently. The list is its own lock, created once by whichever attempt
        // comes first: no lock object per request (most requests log one attempt and never contend).
        var log = Volatile.Read(ref attemptLog) ?? Interlocked.CompareExchange(ref attemptLog, new(2), null) ?? attemptLog!;
        lock (log)
        {
            log.Add(new LoggedAttempt(deployment, outcome, startTimestamp, elapsed));
        }
    }

    /// <summary>
    /// Settle: every attempt, in the order they ended (a hedge's two attempts in the order they finished). Read only
    /// once dispatch is over (Settle): no attempt logs any more then, so no lock is needed.
    /// </summary>
    public ReadOnlySpan<LoggedAttempt> LoggedAttempts =>
        Volatile.Read(ref attemptLog) is { } log ? System.Runtime.InteropServices.CollectionsMarshal.AsSpan(log) : default;

    /// <summary>
    /// Every attempt, in order: <c>deployment:outcome:ms</c>, comma-separated; null when a single attempt
    /// succeeded (the record's final deployment and latency already say all of it).
    /// </summary>
    public string? AttemptLog
    {
        get
        {
            var log = Volatile.Read(ref attemptLog);
            if (log is null)
            {
                return null;
            }

            lock (log)
            {
                if (log.Count == 1 && log[0].Outcome == FailureKind.None)
                {
                    return null;
                }

                return string.Join(",", log.Select(a =>
                    $"{a.Deployment.Name}:{(a.Outcome == FailureKind.None ? "ok" : FailureKinds.Name(a.Outcome))}:{a.Elapsed.TotalMilliseconds:0}ms"));
            }
        }
    }

    /// <summary>Dispatch: the request was hedged (a second attempt raced the first).</summary>
    public bool Hedged { get; set; }

    /// <summary>
    /// Dispatch: claims the client's response for one attempt. Exactly one caller ever gets true; with hedging,
    /// the attempt that gets false lost the race and must write nothing.
    /// </summary>
    public bool TryCommit() => Interlocked.CompareExchange(ref committed, 1, 0) == 0;

    /// <summary>Dispatch: upstream-reported usage (Settle replaces what the upstream never reported with an estimate).</summary>
    public TokenUsage Usage;

    /// <summary>
    /// Dispatch: what the committed attempt delivered to the client (streams always; whole answers only when they
    /// came without usage), for Settle to meter when the upstream never reported usage. Settle disposes it.
    /// </summary>
    public DeliveredContent? Delivered { get; set; }

    /// <summary>
    /// Dispatch: a hedged attempt that lost the race: what it was sent back before it was cancelled (reported usage,
    /// content), for Settle to record its cost (<see cref="DeliveredContent.Billed"/>). Settle disposes it.
    /// </summary>
    public DeliveredContent? HedgeLoser { get; set; }

    /// <summary>Settle: <c>reported</c>, <c>estimated</c> (some count is the gateway's own), or null (no usage to speak of).</summary>
    public string? UsageSource { get; set; }

    /// <summary>Dispatch: timestamp of the first byte written to the client, 0 before.</summary>
    public long FirstByteTimestamp { get; set; }

    /// <summary>
    /// Governance: the deployment routing intended when a budget narrowed the plan to cheaper ones (the record keeps
    /// it as the intended deployment); null otherwise, when the plan's first step is the intended one.
    /// </summary>
    public DeploymentTarget? Intended { get; set; }

    /// <summary>Settle: the request's cost in micro-dollars, set before the holds are released (a budget settles to it).</summary>
    public long CostMicros { get; set; }

    /// <summary>
    /// Governance: asked by Dispatch after each flushed part of a committed stream whether it may go on (a budget's
    /// hard stop); null, the common case, costs nothing.
    /// </summary>
    public IStreamGuard? StreamGuard { get; set; }

    /// <summary>Cache: the exact cache's part in this request (key, hit or miss, what to store); null when the alias has no cache.</summary>
    public CacheTicket? Cache { get; set; }

    /// <summary>Guardrails: what the request's policies did and what the answer's guard is; null when no policy applies.</summary>
    public GuardTicket? Guard { get; set; }

    private List<IRequestHold>? holds;

    /// <summary>
    /// A stage's claim on shared state (a rate-limit reservation, a budget reservation, a concurrency permit) that
    /// must be settled when the request ends, whatever happened: Settle releases every hold, once, after the
    /// request's usage is final.
    /// </summary>
    public void Hold(IRequestHold hold) => (holds ??= []).Add(hold);

    /// <summary>Settle: releases every hold with the request's final usage (idempotent: a second call does nothing).</summary>
    public void ReleaseHolds()
    {
        if (holds is not { } list)
        {
            return;
        }

        holds = null;
        foreach (var hold in list)
        {
            hold.Release(this);
        }
    }

    /// <summary>Answers the client with <paramref name="error"/> in its format; false, for a stage to return.</summary>
    public async ValueTask<bool> RefuseAsync(ClientError error)
    {
        RefusalCode = error.Code;
        await ClientErrors.WriteAsync(Http, Format, error).ConfigureAwait(false);
        return false;
    }
}

/// <summary>One upstream attempt as Dispatch logged it (<see cref="GatewayContext.LogAttempt"/>).</summary>
/// <param name="Deployment">Where it went.</param>
/// <param name="Outcome">How it ended (<see cref="FailureKind.None"/>: it answered; <see cref="FailureKind.CircuitOpen"/>: refused by the breaker, no call made).</param>
/// <param name="StartTimestamp">When it started (<see cref="TimeProvider.GetTimestamp"/> of the gateway's clock).</param>
/// <param name="Elapsed">How long it took, up to the end of its answer (a stream's last byte).</param>
public readonly record struct LoggedAttempt(DeploymentTarget Deployment, FailureKind Outcome, long StartTimestamp, TimeSpan Elapsed);
