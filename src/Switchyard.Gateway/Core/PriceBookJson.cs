using System.Text.Json;
using System.Text.Json.Serialization;

namespace Switchyard.Core;

/// <summary>
/// A price list file as written (<c>Providers/NAME/prices*.json</c>): everything nullable, so that <see cref="PriceList.Parse"/>
/// can name each missing field instead of failing on the first. The format is in docs/adr/0008-price-book.md.
/// </summary>
internal sealed class PriceFileDto
{
    public string? Provider { get; set; }

    public List<string>? Presets { get; set; }

    public string? Source { get; set; }

    public DateOnly? Read { get; set; }

    public string? Notes { get; set; }

    public List<string>? Strip { get; set; }

    /// <summary>The share of the standard rates a batch is billed at, for every model of the list (OpenAI: 0.5).</summary>
    public decimal? Batch { get; set; }

    public List<PriceEntryDto>? Models { get; set; }
}

/// <summary>One model's rates from one date, as written.</summary>
internal class PriceRatesDto
{
    public decimal? Input { get; set; }

    public decimal? Output { get; set; }

    public decimal? CachedInput { get; set; }

    public decimal? CacheWrite { get; set; }

    [JsonPropertyName("cache_write_1h")]
    public decimal? CacheWrite1h { get; set; }

    public decimal? Reasoning { get; set; }
}

/// <summary>An entry: the model, the date it applies from, its rates, and where they were read when not the file's source.</summary>
internal sealed class PriceEntryDto : PriceRatesDto
{
    public string? Model { get; set; }

    public DateOnly? EffectiveFrom { get; set; }

    public decimal? PerImage { get; set; }

    public decimal? PerSecond { get; set; }

    public Dictionary<string, decimal>? PerImageBy { get; set; }

    public decimal? PerMillionCharacters { get; set; }

    public decimal? PerSearchUnit { get; set; }

    /// <summary>True when the entry prices some unit other than tokens (then input and output may be left out).</summary>
    public bool HasMediaRates => PerImage is not null || PerImageBy is not null || PerSecond is not null || PerMillionCharacters is not null || PerSearchUnit is not null;

    public LongContextDto? LongContext { get; set; }

    public string? Source { get; set; }

    public string? Note { get; set; }
}

/// <summary>The rates above an input threshold.</summary>
internal sealed class LongContextDto : PriceRatesDto
{
    public long? AboveInputTokens { get; set; }
}

/// <summary>
/// Source-generated (AOT-safe) reading of price list files. Unknown members are refused, so a misspelt rate
/// (<c>cached_inptu</c>) fails the file's test instead of silently billing cached tokens at the input rate.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    ReadCommentHandling = JsonCommentHandling.Skip)]
[JsonSerializable(typeof(PriceFileDto))]
internal sealed partial class PriceBookJsonContext : JsonSerializerContext;
