using Microsoft.Extensions.Logging;
using Switchyard.Canonical;
using Switchyard.Usage;

namespace Switchyard.Batches;

/// <summary>
/// A batch's usage, recorded once when it ends (completed, failed, expired or cancelled: what completed is billed),
/// whoever sees the end first: a client's retrieve or the <see cref="BatchPoller"/>, on any replica. The output file is
/// read from the provider as it streams (<see cref="BatchOutput"/>) and summed per model before anything is marked, so
/// a failed read leaves the batch to be settled on a later look; then <see cref="IUpstreamObjectStore.TrySettle"/> lets
/// exactly one caller write the record(s): one per model, costed at the deployment's price on the day the batch was
/// created times its batch share (<see cref="Price.BatchRate"/>, OpenAI's 0.5), for the key, team and customer that
/// created it.
/// </summary>
public sealed partial class BatchSettlement(IUpstreamObjectStore store, ProviderObjects objects, UsageWriter usage, BatchBudgets budgets,
    TimeProvider time, ILogger<BatchSettlement> logger)
{
    /// <summary>The statuses after which a batch does no more work.</summary>
    public static bool IsFinal(string? status) => status is "completed" or "failed" or "expired" or "cancelled";

    /// <summary>
    /// Settles <paramref name="batch"/> (its <paramref name="status"/> final, its output file at the provider
    /// <paramref name="outputUpstreamId"/> or none): true when this call wrote its records, false when another had.
    /// Throws when the output cannot be read (nothing is marked then).
    /// </summary>
    public async Task<bool> SettleAsync(UpstreamObject batch, DeploymentTarget deployment, string status, string? outputUpstreamId, CancellationToken ct)
    {
        if (batch.SettledAtMs is not null)
        {
            return false;
        }

        var output = new BatchOutput();
        if (outputUpstreamId is not null)
        {
            using var response = await objects.SendAsync(deployment, Operation.Files, HttpMethod.Get, "/" + Uri.EscapeDataString(outputUpstreamId) + "/content",
                null, null, unbounded: true, ct).ConfigureAwait(false);
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // Deleted or expired at the provider: what it held can never be read, so the batch is settled without it
                // (logged) rather than asked after for ever.
                LogOutputGone(logger, batch.Id, outputUpstreamId);
            }
            else if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"the output file {outputUpstreamId} of batch {batch.Id} answered {(int)response.StatusCode}");
            }
            else
            {
                await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                await output.ReadAsync(stream, ct).ConfigureAwait(false);
            }
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!store.TrySettle(batch.Id, now))
        {
            return false;
        }

        if (output.Skipped > 0)
        {
            LogSkipped(logger, batch.Id, output.Skipped);
        }

        long cost = 0;
        foreach (var record in Records(batch, deployment, status, output.Models, now))
        {
            usage.Enqueue(record);
            cost += record.CostMicros;
        }

        await budgets.ChargeAsync(batch.Owner, cost).ConfigureAwait(false);
        return true;
    }

    /// <summary>One record per model (one with no tokens when nothing completed, so the batch is still on file).</summary>
    internal static List<UsageRecord> Records(UpstreamObject batch, DeploymentTarget deployment, string status, IReadOnlyList<BatchModelUsage> models, long nowMs)
    {
        var detail = ObjectJson.DetailOf(batch);
        var team = detail["team"]?.GetValue<string>();
        var customer = detail["customer"]?.GetValue<string>();
        var list = models.Count > 0 ? models : [new BatchModelUsage(deployment.Config.UpstreamModel, default, 0)];
        var records = new List<UsageRecord>(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            var (micros, version) = Cost(deployment, list[i].Usage, batch.CreatedAtMs);
            records.Add(new UsageRecord
            {
                RequestId = list.Count == 1 ? batch.Id : $"{batch.Id}:{i + 1}",
                StartedAtMs = batch.CreatedAtMs,
                KeyId = batch.Owner,
                TeamId = team,
                CustomerId = customer,
                Operation = Settle.OperationName(Operation.Batches),
                Format = "openai",
                Alias = batch.Route,
                IntendedDeployment = deployment.Name,
                FinalDeployment = deployment.Name,
                FinalModel = list[i].Model.Length > 0 ? list[i].Model : deployment.Config.UpstreamModel,
                Attempts = 1,
                Status = 200,
                ErrorKind = status == "completed" ? null : "batch_" + status,
                PromptTokens = list[i].Usage.InputTokens,
                CompletionTokens = list[i].Usage.OutputTokens,
                CachedTokens = list[i].Usage.CacheReadTokens,
                ReasoningTokens = list[i].Usage.ReasoningTokens,
                TotalTokens = list[i].Usage.TotalTokens,
                UsageSource = "reported",
                CostMicros = micros,
                PriceVersion = version,
                LatencyMs = Math.Max(0, nowMs - batch.CreatedAtMs),
            });
        }

        return records;
    }

    /// <summary>The tokens at the deployment's price on the batch's day, times its batch share (in full when the price has none).</summary>
    internal static (long Micros, string? Version) Cost(DeploymentTarget deployment, in TokenUsage used, long createdAtMs)
    {
        if (deployment.Config.Price is not { } schedule || used.TotalTokens == 0)
        {
            return (0, null);
        }

        var price = schedule.At(DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(createdAtMs).UtcDateTime));
        var share = price.BatchRate ?? 1m;
        var version = price.BatchRate is { } rate ? $"{price.Version},batch:{rate.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : price.Version;
        return (CostCalculator.Round(CostCalculator.Micros(used, price) * share), version);
    }

    [LoggerMessage(EventId = 1707, Level = LogLevel.Warning, Message = "Batch {BatchId}: its output file {OutputId} is gone at the provider; the batch is recorded without its usage")]
    private static partial void LogOutputGone(ILogger logger, string batchId, string outputId);

    [LoggerMessage(EventId = 1701, Level = LogLevel.Warning, Message = "Batch {BatchId}: {Skipped} output line(s) could not be read; their usage is not recorded")]
    private static partial void LogSkipped(ILogger logger, string batchId, int skipped);
}
