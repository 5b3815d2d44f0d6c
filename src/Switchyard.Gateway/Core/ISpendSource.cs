namespace Switchyard.Core;

/// <summary>Whose spend a budget counts: a key, a team, or a team's customer (the columns of the usage records).</summary>
public enum SpendOwnerKind
{
    /// <summary>The records of one key (<c>key_id</c>).</summary>
    Key,

    /// <summary>The records of every key of a team (<c>team_id</c>).</summary>
    Team,

    /// <summary>The records made for a team's customer (<c>team_id</c> and <c>customer_id</c>).</summary>
    Customer,
}

/// <summary>A budget's owner: <paramref name="Id"/> of <paramref name="Kind"/>; a customer's team in <paramref name="TeamId"/>.</summary>
public readonly record struct SpendOwner(SpendOwnerKind Kind, string Id, string? TeamId = null);

/// <summary>
/// The spend already recorded, read once per budget and period when a gateway starts (or a budget is added or
/// changed): budgets are rebuilt from the usage records, which are what customers are billed from, so a restart
/// neither forgets spend nor counts it twice.
/// </summary>
public interface ISpendSource
{
    /// <summary>The sum of <c>cost_micros</c> of <paramref name="owner"/>'s records that started at or after <paramref name="since"/>.</summary>
    long SpentSince(SpendOwner owner, DateTimeOffset since);
}
