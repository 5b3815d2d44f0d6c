using System.Reflection;

namespace Switchyard.Tests.Storage;

/// <summary>
/// Every field of the usage record survives both usage stores, SQLite and PostgreSQL: a field added to
/// <see cref="UsageRecord"/> (the guardrails column, docs/adr/0016) without its column, written and read, in either
/// store's schema and migrations fails here instead of recording its default for every request.
/// </summary>
public sealed class UsageRecordRoundTripTests
{
    [Theory]
    [MemberData(nameof(StoreBackend.Kinds), MemberType = typeof(StoreBackend))]
    public void EveryProperty_IsWrittenAndReadBack(string kind)
    {
        using var backend = StoreBackend.Create(kind);
        var record = Distinct();
        using (var store = backend.Usage())
        {
            store.Write([record], checkpoint: 1);
        }

        using var reopened = backend.Usage();
        var back = Assert.Single(reopened.ReadRecent(1));

        foreach (var property in Properties)
        {
            Assert.True(Equals(property.GetValue(record), property.GetValue(back)),
                $"{kind}: {property.Name}: wrote {property.GetValue(record)}, read {property.GetValue(back)}");
        }
    }

    private static PropertyInfo[] Properties => typeof(UsageRecord).GetProperties(BindingFlags.Public | BindingFlags.Instance);

    /// <summary>A record whose every property holds a value different from its default and from the others'.</summary>
    private static UsageRecord Distinct()
    {
        var record = new UsageRecord { RequestId = RequestIds.NewId(), Operation = "chat.completions" };
        var n = 0;
        foreach (var property in Properties.Where(p => p.Name is not (nameof(UsageRecord.RequestId) or nameof(UsageRecord.Operation))))
        {
            n++;
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            object value = type == typeof(string) ? $"{property.Name.ToLowerInvariant()}-{n}"
                : type == typeof(long) ? 1000L + n
                : type == typeof(int) ? 100 + n
                : type == typeof(double) ? n + 0.25
                : type == typeof(bool) ? true
                : throw new InvalidOperationException($"add a value for {property.Name} ({type})");
            property.SetValue(record, value);
        }

        return record;
    }
}
