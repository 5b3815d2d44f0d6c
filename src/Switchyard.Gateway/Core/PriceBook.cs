using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Switchyard.Core;

/// <summary>
/// The prices one provider kind publishes, read from the data files in its folder (<c>Providers/NAME/prices*.json</c>,
/// embedded in the assembly) and exposed by its descriptor (<see cref="ProviderDescriptor.Prices"/>), so adding a
/// provider's prices touches that folder only. Immutable; shared by every gateway of the process.
/// Looked up at configuration load, never per request (docs/adr/0008-price-book.md).
/// </summary>
public sealed class PriceBook
{
    /// <summary>A kind that publishes no prices.</summary>
    public static PriceBook Empty { get; } = new([]);

    /// <summary>Creates a book of <paramref name="lists"/>; a preset is priced by the first list that applies to it and has the model.</summary>
    public PriceBook(IEnumerable<PriceList> lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        Lists = [.. lists];
    }

    /// <summary>The lists, one per data file.</summary>
    public IReadOnlyList<PriceList> Lists { get; }

    /// <summary>
    /// Every entry for <paramref name="model"/> served under <paramref name="preset"/>, oldest first, matched exactly
    /// or through the list's documented id patterns (<see cref="PriceList.Find"/>); null when no list prices it.
    /// </summary>
    public IReadOnlyList<Price>? Schedule(string preset, string model)
    {
        foreach (var list in Lists)
        {
            if (list.AppliesTo(preset) && list.Find(model) is { } schedule)
            {
                return schedule;
            }
        }

        return null;
    }

    /// <summary>
    /// The price a deployment of <paramref name="model"/> under <paramref name="preset"/> gets: the entry in effect on
    /// <paramref name="today"/> (what routing compares), carrying the whole schedule so each record is costed at the
    /// entry of its own date. Null when the book does not price the model.
    /// </summary>
    public Price? PriceFor(string preset, string model, DateOnly today)
    {
        if (Schedule(preset, model) is not { } schedule)
        {
            return null;
        }

        var scheduled = schedule[0] with { Schedule = schedule };
        return scheduled.At(today) with { Schedule = schedule };
    }

    /// <summary>
    /// Reads embedded price list files of <paramref name="assembly"/> (manifest resource names). A file that is
    /// missing or invalid throws <see cref="InvalidDataException"/> naming every problem: the data ships with the
    /// build, and a test reads every file, so this cannot fail on a user's machine.
    /// </summary>
    public static PriceBook FromResources(Assembly assembly, params string[] resourceNames)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var lists = new List<PriceList>(resourceNames.Length);
        foreach (var name in resourceNames)
        {
            using var stream = assembly.GetManifestResourceStream(name)
                ?? throw new InvalidDataException($"price list '{name}' is not embedded in {assembly.GetName().Name}");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            lists.Add(PriceList.Parse(copy.GetBuffer().AsSpan(0, (int)copy.Length), name));
        }

        return new PriceBook(lists);
    }
}

/// <summary>One entry of a price list, as listed (<c>switchyard prices</c>, the data tests).</summary>
/// <param name="Model">The model id (or base id, before the list's patterns) the entry prices.</param>
/// <param name="Price">Its rates, effective date and version.</param>
/// <param name="Source">Where the rates were read: the entry's own source, else the list's.</param>
/// <param name="Note">Why an entry differs from the source page, when it does (a derived rate, a caveat).</param>
public sealed record PriceEntry(string Model, Price Price, Uri Source, string? Note);

/// <summary>
/// One price list file: a provider's prices as read from its pricing page (<see cref="Source"/>) on <see cref="Read"/>,
/// one entry per model and effective date. A price change is a new entry with a later date, so a record keeps the
/// price in effect when it was made.
/// </summary>
public sealed class PriceList
{
    private readonly FrozenDictionary<string, Price[]> schedules;
    private readonly Regex[] strip;

    private PriceList(string name, PriceFileDto file, Regex[] strip, IReadOnlyList<PriceEntry> entries)
    {
        Name = name;
        Provider = file.Provider!;
        Presets = file.Presets is { Count: > 0 } presets ? [.. presets] : null;
        Source = new Uri(file.Source!);
        Read = file.Read!.Value;
        Notes = file.Notes;
        this.strip = strip;
        Entries = entries;
        schedules = entries.GroupBy(e => e.Model, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.Select(e => e.Price).OrderBy(p => p.EffectiveFrom).ToArray(), StringComparer.Ordinal);
    }

    /// <summary>The file's name (its manifest resource name), for messages.</summary>
    public string Name { get; }

    /// <summary>The provider whose pricing page this is (<c>openai</c>, <c>groq</c>, <c>anthropic</c>...).</summary>
    public string Provider { get; }

    /// <summary>The presets of the kind this list prices (<c>groq</c> of the OpenAI-compatible kind); null for every provider of the kind.</summary>
    public IReadOnlyList<string>? Presets { get; }

    /// <summary>The provider's pricing page.</summary>
    public Uri Source { get; }

    /// <summary>When the prices were read.</summary>
    public DateOnly Read { get; }

    /// <summary>What the list does not model, and why (regional surcharges, audio rates...).</summary>
    public string? Notes { get; }

    /// <summary>Every entry, in file order.</summary>
    public IReadOnlyList<PriceEntry> Entries { get; }

    /// <summary>The id patterns (regular expressions) removed, in order, from a model id that has no entry of its own.</summary>
    public IReadOnlyList<string> Patterns => [.. strip.Select(r => r.ToString())];

    /// <summary>True when a provider of preset <paramref name="preset"/> is priced by this list.</summary>
    public bool AppliesTo(string preset) => Presets is null || Presets.Contains(preset, StringComparer.Ordinal);

    /// <summary>
    /// The entries for <paramref name="model"/>, oldest first: its own (an exact id wins, so a snapshot priced
    /// differently from its family can have an entry), else those of the id left after removing the list's patterns
    /// one by one (a date suffix, a Bedrock region prefix and version suffix, a Vertex <c>@date</c>), looked up after each.
    /// </summary>
    public IReadOnlyList<Price>? Find(string model)
    {
        if (schedules.TryGetValue(model, out var schedule))
        {
            return schedule;
        }

        var id = model;
        foreach (var pattern in strip)
        {
            var shorter = pattern.Replace(id, "", 1);
            if (shorter.Length != id.Length)
            {
                id = shorter;
                if (schedules.TryGetValue(id, out schedule))
                {
                    return schedule;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// This list for every preset of a kind, under another provider's name: Azure OpenAI bills OpenAI's models at
    /// OpenAI's list prices, so its descriptor reuses OpenAI's file.
    /// </summary>
    public PriceList ForEveryPreset(string provider, string notes) =>
        new(Name, new PriceFileDto { Provider = provider, Source = Source.ToString(), Read = Read, Notes = notes }, strip, Entries);

    /// <summary>Parses and checks one file; every problem is collected before it throws <see cref="InvalidDataException"/>.</summary>
    public static PriceList Parse(ReadOnlySpan<byte> json, string name)
    {
        PriceFileDto? file;
        try
        {
            file = JsonSerializer.Deserialize(json, PriceBookJsonContext.Default.PriceFileDto);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"price list '{name}' is not valid: {ex.Message}", ex);
        }

        var errors = new List<string>();
        if (file is null)
        {
            throw new InvalidDataException($"price list '{name}' is empty");
        }

        PriceListChecks.File(file, errors);
        var strip = PriceListChecks.Patterns(file.Strip, errors);
        var entries = PriceListChecks.Entries(file, errors);
        if (errors.Count > 0)
        {
            throw new InvalidDataException($"price list '{name}' is invalid:\n  " + string.Join("\n  ", errors));
        }

        return new PriceList(name, file, strip, entries);
    }
}
