namespace Switchyard.Storage;

/// <summary>
/// What <c>/health/ready</c> says about the database: its kind and, for a server (PostgreSQL), whether it answers
/// now. A probe runs at most once per <see cref="CacheFor"/> (readiness probes of a fleet must not become load on
/// the database) and is bounded by <see cref="ProbeTimeout"/>, so a hung server makes readiness slow by at most that.
/// An unreachable database does not make the replica unready by itself: records wait in the journal and requests
/// are served (docs/adr/0012-postgres-storage.md); the usage writer's own status says when that stops being so.
/// </summary>
public sealed class DatabaseHealth
{
    /// <summary>How long one probe's answer is reused.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(1);

    /// <summary>The longest a probe may take before it counts as no answer.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    private readonly Func<CancellationToken, Task<string?>>? probe;
    private readonly TimeProvider time;
    private readonly Lock gate = new();
    private Task<DatabaseStatus>? last;
    private long lastAt;

    /// <summary>A database of <paramref name="kind"/>; <paramref name="probe"/> returns null when it answers, else why not.</summary>
    public DatabaseHealth(string kind, Func<CancellationToken, Task<string?>>? probe, TimeProvider time)
    {
        Kind = kind;
        this.probe = probe;
        this.time = time;
    }

    /// <summary><c>sqlite</c> or <c>postgres</c>.</summary>
    public string Kind { get; }

    /// <summary>The database's state now (or as of at most <see cref="CacheFor"/> ago).</summary>
    public Task<DatabaseStatus> CheckAsync()
    {
        if (probe is null)
        {
            return Task.FromResult(new DatabaseStatus(Kind, null)); // a local file: the usage writer's status reports its failures
        }

        lock (gate)
        {
            if (last is null || (last.IsCompleted && time.GetElapsedTime(lastAt) >= CacheFor))
            {
                lastAt = time.GetTimestamp();
                last = ProbeAsync(probe);
            }

            return last;
        }
    }

    private async Task<DatabaseStatus> ProbeAsync(Func<CancellationToken, Task<string?>> run)
    {
        using var timeout = new CancellationTokenSource(ProbeTimeout, time);
        return new DatabaseStatus(Kind, await run(timeout.Token).ConfigureAwait(false));
    }
}

/// <summary>The database as readiness reports it.</summary>
/// <param name="Kind"><c>sqlite</c> or <c>postgres</c>.</param>
/// <param name="Error">Why it does not answer; null when it does.</param>
public readonly record struct DatabaseStatus(string Kind, string? Error);
