using System.Globalization;

namespace Switchyard.LoadTest.Cli;

/// <summary>
/// A minimal <c>--name value</c> / <c>--flag</c> parser. Each mode declares the options it knows, so a typo
/// fails loudly instead of silently running with a default.
/// </summary>
public sealed class Options
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private Options() { }

    /// <summary>Parses <paramref name="args"/>; <paramref name="valued"/> take one value (repeatable),
    /// <paramref name="flags"/> take none.</summary>
    public static Options Parse(string[] args, IEnumerable<string> valued, IEnumerable<string> flags)
    {
        var known = new HashSet<string>(valued, StringComparer.Ordinal);
        var knownFlags = new HashSet<string>(flags, StringComparer.Ordinal);
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (knownFlags.Contains(a)) { o._flags.Add(a); continue; }
            if (!known.Contains(a)) throw new UsageException($"unknown option '{a}'");
            if (i + 1 >= args.Length) throw new UsageException($"option {a} needs a value");
            if (!o._values.TryGetValue(a, out var list)) o._values[a] = list = [];
            list.Add(args[++i]);
        }
        return o;
    }

    /// <summary>True when the flag was given.</summary>
    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>Every value given for a repeatable option, in order.</summary>
    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var l) ? l : [];

    /// <summary>The last value given, or <paramref name="fallback"/>.</summary>
    public string? String(string name, string? fallback = null) =>
        _values.TryGetValue(name, out var l) ? l[^1] : fallback;

    /// <summary>A required value.</summary>
    public string Required(string name) => String(name) ?? throw new UsageException($"{name} is required");

    /// <summary>A number within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public double Number(string name, double fallback, double min, double max)
    {
        var s = String(name);
        if (s is null) return fallback;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw new UsageException($"{name} must be a number in [{min}, {max}], got '{s}'");
        return v;
    }

    /// <summary>An integer within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int Int(string name, int fallback, int min, int max)
    {
        var s = String(name);
        if (s is null) return fallback;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw new UsageException($"{name} must be an integer in [{min}, {max}], got '{s}'");
        return v;
    }

    /// <summary>A comma-separated list of rates; "none" or empty gives an empty list.</summary>
    public IReadOnlyList<double> Rates(string name, string fallback, double max)
    {
        var s = String(name, fallback)!.Trim();
        if (s.Length == 0 || s == "none") return [];
        var rates = new List<double>();
        foreach (var part in s.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) || r <= 0 || r > max)
                throw new UsageException($"{name}: each rate must be in (0, {max}] req/s, got '{part}'");
            rates.Add(r);
        }
        return rates;
    }
}
