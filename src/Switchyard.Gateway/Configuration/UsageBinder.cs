using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>Binds <c>usage:</c>.</summary>
internal static class UsageBinder
{
    private static readonly FrozenSet<string> Keys =
        FrozenSet.Create(StringComparer.Ordinal, "on_store_failure", "memory_buffer", "journal_max_size", "database_busy_timeout",
            "journal_commit_interval");

    private static readonly FrozenSet<string> Policies = FrozenSet.Create(StringComparer.Ordinal, "refuse", "accept_unrecorded");

    /// <summary>The journal must hold at least a few batches; below 1 MiB it would refuse records under ordinary load.</summary>
    private const long MinJournalBytes = 1L << 20;

    public static UsageSettings Bind(BindContext ctx, YamlNode? node, string path)
    {
        var map = ctx.Map(node, path, Keys);
        if (map is null)
        {
            return UsageSettings.Default;
        }

        var settings = UsageSettings.Default;
        var policyPath = map.PathOf("on_store_failure");
        switch (ctx.String(map["on_store_failure"], policyPath))
        {
            case null:
                break;
            case "refuse":
                settings = settings with { OnStoreFailure = UsageStoreFailurePolicy.Refuse };
                break;
            case "accept_unrecorded":
                settings = settings with { OnStoreFailure = UsageStoreFailurePolicy.AcceptUnrecorded };
                break;
            case var other:
                ctx.Error(policyPath, $"unknown value '{other}'{Suggestions.Hint(other, Policies)}; use refuse or accept_unrecorded");
                break;
        }

        if (ctx.Int(map["memory_buffer"], map.PathOf("memory_buffer"), min: 1, max: 10_000_000) is { } buffer)
        {
            settings = settings with { MemoryBuffer = buffer };
        }

        var journalPath = map.PathOf("journal_max_size");
        if (ctx.Size(map["journal_max_size"], journalPath) is { } journal)
        {
            if (journal < MinJournalBytes)
            {
                ctx.Error(journalPath, "must be at least 1MiB");
            }
            else
            {
                settings = settings with { JournalMaxBytes = journal };
            }
        }

        var busyPath = map.PathOf("database_busy_timeout");
        if (ctx.Duration(map["database_busy_timeout"], busyPath) is { } busy)
        {
            if (busy < TimeSpan.FromMilliseconds(1) || busy > TimeSpan.FromMinutes(1))
            {
                ctx.Error(busyPath, "must be between 1ms and 1m");
            }
            else
            {
                settings = settings with { DatabaseBusyTimeout = busy };
            }
        }

        var commitPath = map.PathOf("journal_commit_interval");
        if (ctx.Duration(map["journal_commit_interval"], commitPath) is { } commit)
        {
            if (commit > TimeSpan.FromSeconds(1))
            {
                ctx.Error(commitPath, "must be between 0 and 1s");
            }
            else
            {
                settings = settings with { JournalCommitInterval = commit };
            }
        }

        return settings;
    }
}
