using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Switchyard.Batches;

/// <summary>
/// What the gateway does with a provider's batch object, whoever fetched it (a create, a retrieve, a cancel, the
/// poller): its ids become the gateway's (the batch's own, its input file's, and its output and error files, which
/// become files of the key that created the batch), its status is stored, and a final status settles its usage
/// (<see cref="BatchSettlement"/>).
/// </summary>
public sealed partial class BatchTracker(IUpstreamObjectStore store, ProviderObjects objects, BatchSettlement settlement, TimeProvider time,
    ILogger<BatchTracker> logger)
{
    /// <summary>The store's kind for batches.</summary>
    public const string Kind = "batch";

    /// <summary>The provider.</summary>
    public ProviderObjects Objects => objects;

    /// <summary>
    /// The client's copy of <paramref name="upstream"/>: <c>id</c> and <c>input_file_id</c> the gateway's, output and
    /// error files registered (once: their ids are derived from the provider's) as files of <paramref name="batch"/>'s owner.
    /// </summary>
    public JsonObject ToClient(JsonObject upstream, UpstreamObject batch, string inputFileId)
    {
        var client = (JsonObject)upstream.DeepClone();
        client["id"] = batch.Id;
        client["input_file_id"] = inputFileId;
        foreach (var name in (string[])["output_file_id", "error_file_id"])
        {
            if (ObjectJson.Str(upstream, name) is { } upstreamFile)
            {
                client[name] = RegisterFile(batch, upstreamFile); // OpenAI gives both the purpose batch_output
            }
        }

        return client;
    }

    /// <summary>The gateway id of a file the provider made for <paramref name="batch"/>, stored as its owner's on first sight.</summary>
    private string RegisterFile(UpstreamObject batch, string upstreamId)
    {
        var id = ObjectJson.DerivedFileId(batch.Deployment, upstreamId);
        if (store.Get(batch.Owner, id) is null)
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var obj = new JsonObject
            {
                ["id"] = id, ["object"] = "file", ["purpose"] = "batch_output", ["filename"] = upstreamId + ".jsonl",
                ["created_at"] = now / 1000, ["status"] = "processed",
            };
            store.Add(new UpstreamObject(id, FilesApi.Kind, batch.Owner, batch.Route, batch.Deployment, upstreamId, "processed", now, now, ObjectJson.Detail(obj)));
        }

        return id;
    }

    /// <summary>
    /// Stores what the provider said about <paramref name="batch"/> and, when it is final, settles its usage. A settlement
    /// that fails (the output cannot be read yet) is logged and left to the next look; it never fails the client's call.
    /// </summary>
    public async Task<BatchView> ApplyAsync(UpstreamObject batch, DeploymentTarget deployment, JsonObject upstream, CancellationToken ct)
    {
        var detail = ObjectJson.DetailOf(batch);
        var previous = detail["object"] as JsonObject;
        var inputFileId = previous is null ? null : ObjectJson.Str(previous, "input_file_id");
        var client = ToClient(upstream, batch, inputFileId ?? "");
        var status = ObjectJson.Str(upstream, "status") ?? batch.Status;
        var team = detail["team"]?.GetValue<string>();
        var customer = detail["customer"]?.GetValue<string>();
        store.Update(batch.Id, status, ObjectJson.Detail(client, team, customer), time.GetUtcNow().ToUnixTimeMilliseconds());
        var settled = false;
        if (BatchSettlement.IsFinal(status) && batch.SettledAtMs is null)
        {
            try
            {
                settled = await settlement.SettleAsync(batch, deployment, status, ObjectJson.Str(upstream, "output_file_id"), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                LogSettleFailed(logger, ex, batch.Id);
            }
        }

        return new BatchView(client, settled);
    }

    /// <summary>Asks the provider for <paramref name="batch"/> and applies the answer; null when it failed (the response says why).</summary>
    public async Task<(BatchView? View, HttpResponseMessage? Failure)> RefreshAsync(UpstreamObject batch, DeploymentTarget deployment, CancellationToken ct)
    {
        var response = await objects.SendAsync(deployment, Operation.Batches, HttpMethod.Get, "/" + Uri.EscapeDataString(batch.UpstreamId), null, null, false, ct)
            .ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return (null, response);
        }

        using (response)
        {
            var body = await ObjectHttp.ReadAsync(response, ct).ConfigureAwait(false) ?? throw new JsonException("oversized batch object");
            return (await ApplyAsync(batch, deployment, ObjectJson.Parse(body), ct).ConfigureAwait(false), null);
        }
    }

    [LoggerMessage(EventId = 1702, Level = LogLevel.Warning, Message = "Batch {BatchId} ended but its usage could not be settled yet; it will be tried again")]
    private static partial void LogSettleFailed(ILogger logger, Exception ex, string batchId);
}

/// <summary>A batch as the client sees it, and whether this look recorded its usage.</summary>
/// <param name="Client">The client's batch object.</param>
/// <param name="Settled">True when this call wrote the batch's usage record(s).</param>
public sealed record BatchView(JsonObject Client, bool Settled);
