namespace Switchyard.Governance;

/// <summary>
/// The calendar of a budget: its current period's start and the instant it resets, computed in the budget's own
/// time zone (a daily budget in Europe/Paris resets at Paris midnight, 23:00 or 22:00 UTC with the season). Weeks
/// start on Monday (ISO 8601). A lifetime budget starts at the epoch and never resets.
/// </summary>
public static class BudgetPeriods
{
    /// <summary>The period containing <paramref name="now"/>: its start (inclusive) and end (exclusive, the reset).</summary>
    public static (DateTimeOffset Start, DateTimeOffset End) Of(BudgetRule rule, DateTimeOffset now)
    {
        if (rule.Period == BudgetPeriod.Lifetime)
        {
            return (DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue);
        }

        var zone = Zone(rule.TimeZone);
        var local = TimeZoneInfo.ConvertTime(now, zone).DateTime.Date;
        var (start, end) = rule.Period switch
        {
            BudgetPeriod.Daily => (local, local.AddDays(1)),
            BudgetPeriod.Weekly => Week(local),
            _ => (new DateTime(local.Year, local.Month, 1), new DateTime(local.Year, local.Month, 1).AddMonths(1)),
        };
        return (Instant(start, zone), Instant(end, zone));
    }

    private static (DateTime, DateTime) Week(DateTime day)
    {
        var monday = day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
        return (monday, monday.AddDays(7));
    }

    /// <summary>
    /// The instant of a local midnight. Where the clocks jump over midnight (a few zones start summer time at 00:00),
    /// the first instant after the gap; where midnight happens twice, the first of the two.
    /// </summary>
    private static DateTimeOffset Instant(DateTime local, TimeZoneInfo zone)
    {
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }

        var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
        return new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), offset);
    }

    /// <summary>The zone by IANA name (validated when the budget was configured; UTC if it has since disappeared).</summary>
    private static TimeZoneInfo Zone(string id) => TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
}
