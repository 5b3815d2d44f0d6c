using System.Text.RegularExpressions;

namespace Switchyard.Core;

/// <summary>
/// The rules a price list file must follow, each reported with the entry it concerns: a source and a read date for
/// the file, and for each entry a model, an effective date, input and output rates, no negative rate, and no second
/// entry for the same model and date. A rate a provider does not charge is left out, never written as 0 by guess.
/// </summary>
internal static class PriceListChecks
{
    /// <summary>The longest a model id pattern may run on one id (they run at configuration load only).</summary>
    private static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(100);

    public static void File(PriceFileDto file, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(file.Provider))
        {
            errors.Add("'provider' is required");
        }

        if (!IsWebAddress(file.Source))
        {
            errors.Add("'source' is required: the https address of the provider's pricing page");
        }

        if (file.Read is null)
        {
            errors.Add("'read' is required: the date (YYYY-MM-DD) the prices were read");
        }

        if (file.Models is not { Count: > 0 })
        {
            errors.Add("'models' is required and may not be empty");
        }
    }

    public static Regex[] Patterns(List<string>? patterns, List<string> errors)
    {
        var compiled = new List<Regex>();
        foreach (var pattern in patterns ?? [])
        {
            try
            {
                compiled.Add(new Regex(pattern, RegexOptions.CultureInvariant, PatternTimeout));
            }
            catch (ArgumentException ex)
            {
                errors.Add($"strip pattern '{pattern}' is not a regular expression: {ex.Message}");
            }
        }

        return [.. compiled];
    }

    public static List<PriceEntry> Entries(PriceFileDto file, List<string> errors)
    {
        var entries = new List<PriceEntry>();
        var seen = new HashSet<(string, DateOnly)>();
        var fileSource = IsWebAddress(file.Source) ? new Uri(file.Source!) : null;
        for (var i = 0; i < (file.Models?.Count ?? 0); i++)
        {
            var dto = file.Models![i];
            var at = $"models[{i}] ({dto.Model ?? "no model"})";
            var before = errors.Count;
            if (string.IsNullOrWhiteSpace(dto.Model))
            {
                errors.Add($"{at}: 'model' is required");
            }

            if (dto.EffectiveFrom is not { } from)
            {
                errors.Add($"{at}: 'effective_from' is required (YYYY-MM-DD)");
                from = default;
            }
            else if (dto.Model is { } model && !seen.Add((model, from)))
            {
                errors.Add($"{at}: a second entry for '{model}' effective {from:yyyy-MM-dd}");
            }

            if (dto.Source is not null && !IsWebAddress(dto.Source))
            {
                errors.Add($"{at}: 'source' must be an https address");
            }

            var rates = Rates(dto, at, errors);
            var longContext = LongContext(dto.LongContext, at, errors);
            if (errors.Count == before && fileSource is not null)
            {
                entries.Add(new PriceEntry(dto.Model!, rates! with
                {
                    PerImage = dto.PerImage,
                    PerImageBy = dto.PerImageBy,
                    PerSecond = dto.PerSecond,
                    PerMillionCharacters = dto.PerMillionCharacters,
                    PerSearchUnit = dto.PerSearchUnit,
                    BatchRate = file.Batch,
                    LongContext = longContext,
                    EffectiveFrom = from,
                    Version = $"book:{from:yyyy-MM-dd}",
                }, dto.Source is null ? fileSource : new Uri(dto.Source), dto.Note));
            }
        }

        return entries;
    }

    private static LongContextPrice? LongContext(LongContextDto? dto, string at, List<string> errors)
    {
        if (dto is null)
        {
            return null;
        }

        if (dto.AboveInputTokens is not > 0)
        {
            errors.Add($"{at}: long_context.above_input_tokens is required and must be positive");
        }

        var rates = Rates(dto, at + " long_context", errors);
        return rates is not null && dto.AboveInputTokens is { } above && above > 0 ? new LongContextPrice(above, rates) : null;
    }

    private static Price? Rates(PriceRatesDto dto, string at, List<string> errors)
    {
        var media = dto is PriceEntryDto { HasMediaRates: true };
        if ((dto.Input is null || dto.Output is null) && !media)
        {
            errors.Add($"{at}: 'input' and 'output' are required (USD per million tokens), unless a media rate (per_image, per_second, ...) prices the model");
        }

        decimal?[] all = [dto.Input, dto.Output, dto.CachedInput, dto.CacheWrite, dto.CacheWrite1h, dto.Reasoning];
        if (all.Any(r => r < 0) || (dto is PriceEntryDto e && (e.PerImage < 0 || e.PerSecond < 0 || e.PerMillionCharacters < 0
            || e.PerSearchUnit < 0 || e.PerImageBy?.Values.Any(v => v < 0) == true)))
        {
            errors.Add($"{at}: rates may not be negative");
        }

        return (dto.Input ?? (media ? 0 : null)) is { } input && (dto.Output ?? (media ? 0 : null)) is { } output
            ? new Price(input, output)
            {
                CachedInput = dto.CachedInput,
                CacheWrite = dto.CacheWrite,
                CacheWrite1h = dto.CacheWrite1h,
                Reasoning = dto.Reasoning,
            }
            : null;
    }

    /// <summary>An https page, or a <c>urn:</c> for prices the gateway itself sets (the built-in echo model is free).</summary>
    private static bool IsWebAddress(string? text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == "urn");
}
