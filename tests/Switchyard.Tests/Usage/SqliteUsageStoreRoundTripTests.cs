using System.Reflection;
using Switchyard.Usage;

namespace Switchyard.Tests.Usage;

/// <summary>
/// Every field of the usage record survives the SQLite store: a field added to <see cref="UsageRecord"/> without its
/// column (written and read) fails here instead of silently recording its default for every request.
/// </summary>
public sealed class SqliteUsageStoreRoundTripTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("switchyard-store-roundtrip-").FullName;

    [Fact]
    public void EveryProperty_IsWrittenAndReadBack()
    {
        var record = Distinct();
        using (var store = new SqliteUsageStore(Path.Combine(dir, "switchyard.db")))
        {
            store.Write([record]);
        }

        using var reopened = new SqliteUsageStore(Path.Combine(dir, "switchyard.db"));
        var back = reopened.ReadRecent(1).Single();

        foreach (var property in Properties)
        {
            Assert.True(Equals(property.GetValue(record), property.GetValue(back)),
                $"{property.Name}: wrote {property.GetValue(record)}, read {property.GetValue(back)}");
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

    public void Dispose() => Directory.Delete(dir, recursive: true);
}
