using System.Collections.Concurrent;

namespace Switchyard.Governance;

/// <summary>
/// Budget reservations that outlive their request: a video create reserves the requested seconds at the deployment's
/// per-second price (<see cref="BudgetEstimate.MediaMicros"/>) and, once a provider has accepted the job, the reservation
/// is kept here under the job's id instead of being released with the create (whose own record costs nothing). The one
/// caller that settles the job (<c>IUpstreamObjectStore.TrySettle</c>: a client's poll or the background poller) settles
/// it at the job's cost (0 for a failed job), so the budget is held from create to completion and charged once.
/// In memory: a reservation of a job still running when the process stops is gone with it (the job's record, written at
/// completion, then counts when the budget's spend is next rebuilt from the records; docs/adr/0017-beyond-chat.md).
/// </summary>
public sealed class JobReservations
{
    /// <summary>How long a job's reservation is held before the ledger reclaims it (a video renders in minutes).</summary>
    public static readonly TimeSpan HoldFor = TimeSpan.FromHours(6);

    private readonly ConcurrentDictionary<string, IBudgetHold> holds = new(StringComparer.Ordinal);

    /// <summary>Jobs whose reservation is held (for tests and the admin view).</summary>
    public int Count => holds.Count;

    /// <summary>Keeps <paramref name="hold"/> for <paramref name="job"/> until <see cref="Settle"/>.</summary>
    public void Keep(string job, IBudgetHold hold)
    {
        if (!holds.TryAdd(job, hold))
        {
            hold.Settle(0); // a job id is unique; a second hold for it is a bug, and must not leak
        }
    }

    /// <summary>Charges <paramref name="actualMicros"/> in place of the job's reservation; false when none is held here.</summary>
    public bool Settle(string job, long actualMicros)
    {
        if (!holds.TryRemove(job, out var hold))
        {
            return false;
        }

        hold.Settle(actualMicros);
        return true;
    }
}
