using System.Diagnostics;

namespace Switchyard.Observability;

/// <summary>
/// What the attempt log of a finished request says (<see cref="GatewayContext.LoggedAttempts"/>): each attempt's outcome
/// and duration, the retries and fallbacks between them and why, how a hedge went, and the gateway's own time (the
/// request's latency minus the time attempts were running). Read after the fact, so the dispatch loop pays nothing.
/// </summary>
internal sealed class AttemptMetrics(GatewayInstruments instruments, TimeProvider time)
{
    /// <summary>Records the attempts of <paramref name="ctx"/>, and the gateway's own time unless <paramref name="overhead"/> is false.</summary>
    public void Record(GatewayContext ctx, UsageRecord record, string? operation, string alias, bool overhead)
    {
        var log = ctx.LoggedAttempts;
        if (log.IsEmpty)
        {
            return;
        }

        foreach (ref readonly var attempt in log)
        {
            RecordAttempt(in attempt, operation);
        }

        // The two attempts of a hedge race each other: neither was caused by the other's failure.
        var hedge = ctx.Hedged && log.Length >= 2 ? RecordHedge(log, alias) : -1;
        RecordSwitches(log, hedge);
        if (!overhead)
        {
            return;
        }

        instruments.Overhead.Record(Math.Max(0, record.LatencyMs / 1000 - BusySeconds(log, hedge)), new TagList
        {
            { GenAiNames.GatewayOperation, record.Operation }, { GenAiNames.Stream, record.Stream ? "true" : "false" },
        });
    }

    private void RecordAttempt(in LoggedAttempt attempt, string? operation)
    {
        var deployment = attempt.Deployment;
        var outcome = attempt.Outcome == FailureKind.None ? "ok" : FailureKinds.Name(attempt.Outcome);
        instruments.Attempts.Add(1, new TagList { { GenAiNames.Deployment, deployment.Name }, { GenAiNames.Outcome, outcome } });
        if (operation is null || attempt.Outcome == FailureKind.CircuitOpen)
        {
            return; // no call was made
        }

        var model = deployment.Config.UpstreamModel;
        var tags = new TagList
        {
            { GenAiNames.Operation, operation }, { GenAiNames.Provider, GenAiNames.ProviderName(deployment.Config.Provider) },
            { GenAiNames.RequestModel, model }, { GenAiNames.Deployment, deployment.Name },
        };
        tags.Add(attempt.Outcome == FailureKind.None
            ? new KeyValuePair<string, object?>(GenAiNames.ResponseModel, model)
            : new KeyValuePair<string, object?>(GenAiNames.ErrorType, outcome));
        instruments.ClientDuration.Record(attempt.Elapsed.TotalSeconds, tags);
    }

    /// <summary>
    /// won: the hedge answered; lost: the first attempt did (the hedge was cancelled or failed); failed: neither. The
    /// race is the log's first two entries (the dispatch waits for both before anything else is tried); the hedge is
    /// the one that started later. Returns its index, the attempt whose failure the dispatch went on from.
    /// </summary>
    private int RecordHedge(ReadOnlySpan<LoggedAttempt> log, string alias)
    {
        var hedge = log[1].StartTimestamp >= log[0].StartTimestamp ? 1 : 0;
        var outcome = log[hedge].Outcome == FailureKind.None ? "won"
            : log[1 - hedge].Outcome == FailureKind.None ? "lost"
            : "failed";
        instruments.Hedges.Add(1, new TagList { { GenAiNames.Alias, alias }, { GenAiNames.Outcome, outcome } });
        return hedge;
    }

    /// <summary>
    /// Each attempt that followed a failed one is a retry (same deployment) or a fallback (another), for that failure.
    /// After a hedge race the walk goes on from the hedge's failure.
    /// </summary>
    private void RecordSwitches(ReadOnlySpan<LoggedAttempt> log, int hedge)
    {
        var from = hedge >= 0 ? 2 : 1;
        for (var i = from; i < log.Length; i++)
        {
            ref readonly var before = ref (hedge >= 0 && i == from ? ref log[hedge] : ref log[i - 1]);
            if (before.Outcome is FailureKind.None or FailureKind.HedgeLost)
            {
                continue;
            }

            var tags = new TagList { { GenAiNames.Deployment, before.Deployment.Name }, { GenAiNames.Reason, FailureKinds.Name(before.Outcome) } };
            var counter = before.Deployment.Name == log[i].Deployment.Name ? instruments.Retries : instruments.Fallbacks;
            counter.Add(1, tags);
        }
    }

    /// <summary>Seconds attempts were running: their sum, with a hedge race counted once from its first start to its last end.</summary>
    private double BusySeconds(ReadOnlySpan<LoggedAttempt> log, int hedge)
    {
        var race = hedge >= 0 ? 2 : 0;
        var busy = 0.0;
        for (var i = race; i < log.Length; i++)
        {
            busy += log[i].Elapsed.TotalSeconds;
        }

        if (race == 2)
        {
            var start = Math.Min(log[0].StartTimestamp, log[1].StartTimestamp);
            var end = Math.Max(End(in log[0]), End(in log[1]));
            busy += (double)(end - start) / time.TimestampFrequency;
        }

        return busy;
    }

    private long End(in LoggedAttempt attempt) => attempt.StartTimestamp + (long)(attempt.Elapsed.TotalSeconds * time.TimestampFrequency);
}
