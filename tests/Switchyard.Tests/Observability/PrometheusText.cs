using System.Globalization;
using System.Text;

namespace Switchyard.Tests.Observability;

/// <summary>One sample line: <c>name{labels} value [timestamp]</c>.</summary>
internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    /// <summary>The value of <paramref name="label"/>, or null.</summary>
    public string? this[string label] => Labels.TryGetValue(label, out var v) ? v : null;
}

/// <summary>A metric family: its <c># TYPE</c>, <c># HELP</c> and samples.</summary>
internal sealed record PrometheusFamily(string Name, string Type, string? Help, List<PrometheusSample> Samples);

/// <summary>
/// A strict reader of the Prometheus text exposition format (version 0.0.4), written from the format's rules so a
/// test can tell valid output from merely plausible output: <c># HELP</c> and <c># TYPE</c> lines (at most one each per
/// family, TYPE before its samples), metric and label names of the legal characters, quoted label values with the
/// three escapes, unique label names per sample, float values (<c>NaN</c>, <c>+Inf</c>, <c>-Inf</c>), an optional
/// integer timestamp, a family's samples together, and for histograms: <c>_bucket</c> series with an <c>le</c> label,
/// cumulative counts, a <c>+Inf</c> bucket equal to <c>_count</c>, and a <c>_sum</c>. Any violation throws
/// <see cref="FormatException"/> naming the line.
/// </summary>
internal static class PrometheusText
{
    private static readonly string[] Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    /// <summary>Parses <paramref name="text"/> into its families, by name.</summary>
    public static Dictionary<string, PrometheusFamily> Parse(string text)
    {
        var families = new Dictionary<string, PrometheusFamily>(StringComparer.Ordinal);
        var closed = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        var lineNumber = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                if (line.StartsWith('#'))
                {
                    ReadComment(line, families, closed, ref current);
                }
                else
                {
                    ReadSample(line, families, closed, ref current);
                }
            }
            catch (FormatException ex)
            {
                throw new FormatException($"line {lineNumber}: {ex.Message}: {line}", ex);
            }
        }

        foreach (var family in families.Values.Where(f => f.Type == "histogram"))
        {
            CheckHistogram(family);
        }

        return families;
    }

    private static void ReadComment(string line, Dictionary<string, PrometheusFamily> families, HashSet<string> closed, ref string? current)
    {
        var parts = line.Split(' ', 4);
        if (parts.Length < 3 || parts[0] != "#" || parts[1] is not ("HELP" or "TYPE"))
        {
            return; // an ordinary comment
        }

        var name = parts[2];
        CheckMetricName(name);
        var family = Enter(name, families, closed, ref current);
        if (parts[1] == "TYPE")
        {
            var type = parts.Length == 4 ? parts[3] : throw new FormatException("TYPE without a type");
            if (!Types.Contains(type))
            {
                throw new FormatException($"unknown type '{type}'");
            }

            if (family.Type != "untyped" || family.Samples.Count > 0)
            {
                throw new FormatException("TYPE repeated, or after the family's samples");
            }

            families[name] = family with { Type = type };
        }
        else
        {
            if (family.Help is not null)
            {
                throw new FormatException("HELP repeated");
            }

            families[name] = family with { Help = Unescape(parts.Length == 4 ? parts[3] : "") };
        }
    }

    private static void ReadSample(string line, Dictionary<string, PrometheusFamily> families, HashSet<string> closed, ref string? current)
    {
        var i = 0;
        while (i < line.Length && line[i] is not ('{' or ' '))
        {
            i++;
        }

        var name = line[..i];
        CheckMetricName(name);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i = ReadLabels(line, i + 1, labels);
        }

        if (i >= line.Length || line[i] != ' ')
        {
            throw new FormatException("expected a space before the value");
        }

        var rest = line[(i + 1)..].Split(' ');
        if (rest.Length is < 1 or > 2 || (rest.Length == 2 && !long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
        {
            throw new FormatException("expected a value and an optional integer timestamp");
        }

        var value = ParseValue(rest[0]);
        var familyName = FamilyOf(name, families);
        var family = Enter(familyName, families, closed, ref current);
        family.Samples.Add(new PrometheusSample(name, labels, value));
    }

    /// <summary>A sample belongs to the family it names, or for histograms and summaries to the family its suffix extends.</summary>
    private static string FamilyOf(string sample, Dictionary<string, PrometheusFamily> families)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sample.EndsWith(suffix, StringComparison.Ordinal) && families.TryGetValue(sample[..^suffix.Length], out var f)
                && f.Type is "histogram" or "summary")
            {
                return f.Name;
            }
        }

        return sample;
    }

    /// <summary>Moves to <paramref name="name"/>'s family; a family whose samples were interrupted by another's may not resume.</summary>
    private static PrometheusFamily Enter(string name, Dictionary<string, PrometheusFamily> families, HashSet<string> closed, ref string? current)
    {
        if (current != name)
        {
            if (closed.Contains(name))
            {
                throw new FormatException($"family {name} resumes after another family");
            }

            if (current is not null)
            {
                closed.Add(current);
            }

            current = name;
        }

        if (!families.TryGetValue(name, out var family))
        {
            family = new PrometheusFamily(name, "untyped", null, []);
            families[name] = family;
        }

        return family;
    }

    private static int ReadLabels(string line, int i, Dictionary<string, string> labels)
    {
        while (true)
        {
            if (i < line.Length && line[i] == '}')
            {
                return i + 1; // also after a trailing comma
            }

            var eq = line.IndexOf('=', i);
            if (eq < 0)
            {
                throw new FormatException("label without '='");
            }

            var label = line[i..eq];
            if (label.Length == 0 || !(char.IsAsciiLetter(label[0]) || label[0] == '_') || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new FormatException($"invalid label name '{label}'");
            }

            if (eq + 1 >= line.Length || line[eq + 1] != '"')
            {
                throw new FormatException("label value must be quoted");
            }

            var (value, end) = ReadQuoted(line, eq + 2);
            if (!labels.TryAdd(label, value))
            {
                throw new FormatException($"label '{label}' repeated");
            }

            i = end;
            if (i < line.Length && line[i] == ',')
            {
                i++;
            }
            else if (i >= line.Length || line[i] != '}')
            {
                throw new FormatException("expected ',' or '}' after a label");
            }
        }
    }

    private static (string Value, int End) ReadQuoted(string line, int i)
    {
        var value = new StringBuilder();
        while (i < line.Length)
        {
            var c = line[i++];
            if (c == '"')
            {
                return (value.ToString(), i);
            }

            if (c == '\\')
            {
                value.Append(i < line.Length ? line[i++] switch
                {
                    '\\' => '\\',
                    '"' => '"',
                    'n' => '\n',
                    var other => throw new FormatException($"invalid escape '\\{other}'"),
                } : throw new FormatException("dangling escape"));
            }
            else
            {
                value.Append(c);
            }
        }

        throw new FormatException("unterminated label value");
    }

    private static string Unescape(string text)
    {
        var value = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                value.Append(text[i]);
                continue;
            }

            value.Append(++i < text.Length ? text[i] switch
            {
                '\\' => '\\',
                'n' => '\n',
                var other => throw new FormatException($"invalid escape '\\{other}'"),
            } : throw new FormatException("dangling escape"));
        }

        return value.ToString();
    }

    private static double ParseValue(string text) => text switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"invalid value '{text}'"),
    };

    private static void CheckMetricName(string name)
    {
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] is '_' or ':') || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':'))
        {
            throw new FormatException($"invalid metric name '{name}'");
        }
    }

    /// <summary>Per label set (without <c>le</c>): cumulative buckets ending at +Inf, equal to _count, and a _sum.</summary>
    private static void CheckHistogram(PrometheusFamily family)
    {
        var series = family.Samples.GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal)
            .Select(l => $"{l.Key}={l.Value}")));
        foreach (var one in series)
        {
            var buckets = one.Where(s => s.Name == family.Name + "_bucket").ToList();
            if (one.Count(s => s.Name == family.Name + "_count") > 1)
            {
                throw new FormatException($"{family.Name}{{{one.Key}}}: the same label set twice");
            }

            var count = one.SingleOrDefault(s => s.Name == family.Name + "_count") ?? throw new FormatException($"{family.Name}{{{one.Key}}}: no _count");
            _ = one.SingleOrDefault(s => s.Name == family.Name + "_sum") ?? throw new FormatException($"{family.Name}{{{one.Key}}}: no _sum");
            if (buckets.Count == 0 || buckets.Any(b => b["le"] is null) || buckets[^1]["le"] != "+Inf")
            {
                throw new FormatException($"{family.Name}{{{one.Key}}}: buckets must carry le and end with le=\"+Inf\"");
            }

            for (var i = 1; i < buckets.Count; i++)
            {
                if (buckets[i].Value < buckets[i - 1].Value || ParseValue(buckets[i]["le"]!) <= ParseValue(buckets[i - 1]["le"]!))
                {
                    throw new FormatException($"{family.Name}{{{one.Key}}}: buckets must be cumulative, in increasing le");
                }
            }

            if (buckets[^1].Value != count.Value)
            {
                throw new FormatException($"{family.Name}{{{one.Key}}}: the +Inf bucket ({buckets[^1].Value}) differs from _count ({count.Value})");
            }
        }
    }
}
