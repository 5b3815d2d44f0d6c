using System.Text.Json.Serialization;

namespace Switchyard.Usage;

/// <summary>Source-generated JSON for usage records (journal lines, kept-aside conflicts), AOT-safe.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)] // a NaN latency must not make a record unwritable
[JsonSerializable(typeof(UsageRecord))]
[JsonSerializable(typeof(List<UsageRecord>))]
public sealed partial class UsageJsonContext : JsonSerializerContext;
