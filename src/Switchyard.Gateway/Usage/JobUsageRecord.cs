namespace Switchyard.Usage;

/// <summary>
/// The usage record of a polled job settled outside its request (a webhook saw it end after its client left): one
/// record of its own, keyed by the job's gateway id, under the key, team and customer that created it, priced at the
/// deployment's price in effect the day it was created, as the request's record would have been.
/// </summary>
public static class JobUsageRecord
{
    /// <summary>The record of <paramref name="job"/>, which ended as <paramref name="observed"/> having used <paramref name="used"/>.</summary>
    public static UsageRecord For(UpstreamObject job, DeploymentConfig deployment, PolledJob observed, MediaUsage used, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(observed);
        var detail = PolledJobDetail.Parse(job.Detail);
        var day = DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(job.CreatedAtMs).UtcDateTime);
        var price = deployment.Price?.At(day);
        var micros = price is null || used.IsEmpty ? 0 : CostCalculator.Round(CostCalculator.MediaMicros(used, price));
        var operation = Enum.TryParse<Operation>(detail?.Operation, out var op) ? Settle.OperationName(op) : "other";
        return new UsageRecord
        {
            RequestId = job.Id,
            Operation = operation,
            StartedAtMs = job.CreatedAtMs,
            KeyId = job.Owner,
            TeamId = detail?.TeamId,
            CustomerId = detail?.CustomerId,
            Alias = job.Route,
            IntendedDeployment = job.Deployment,
            FinalDeployment = job.Deployment,
            FinalModel = deployment.UpstreamModel,
            Attempts = 1,
            Status = observed.Phase == JobPhase.Succeeded ? 200 : 502,
            ErrorKind = observed.Phase switch
            {
                JobPhase.Succeeded => null,
                JobPhase.Canceled => FailureKinds.Name(FailureKind.ClientCancelled),
                _ => FailureKinds.Name(FailureKind.ServerError),
            },
            UsageSource = "reported",
            CostMicros = micros,
            PriceVersion = micros > 0 ? price?.Version : null,
            LatencyMs = Math.Max(0, time.GetUtcNow().ToUnixTimeMilliseconds() - job.CreatedAtMs),
        };
    }
}
