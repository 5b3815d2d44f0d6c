using System.Text.Json.Serialization;

namespace Switchyard.Usage;

/// <summary>Source-generated JSON for usage records (spool lines and the usage API), AOT-safe.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UsageRecord))]
[JsonSerializable(typeof(List<UsageRecord>))]
public sealed partial class UsageJsonContext : JsonSerializerContext;
