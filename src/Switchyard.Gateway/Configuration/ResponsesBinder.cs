using System.Collections.Frozen;
using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Binds <c>responses:</c> (Responses API state): <c>store</c>, <c>retention</c>, <c>max_size</c>. Retention
/// takes days (<c>30d</c>) besides the usual duration units, since it is counted in days, not seconds.
/// </summary>
internal static class ResponsesBinder
{
    private static readonly FrozenSet<string> Keys = FrozenSet.Create(StringComparer.Ordinal, "store", "retention", "max_size");

    /// <summary>Longest retention taken: ten years is already "for ever" for a cache of conversations.</summary>
    private static readonly TimeSpan MaxRetention = TimeSpan.FromDays(3650);

    public static ResponsesSettings Bind(BindContext ctx, YamlNode? node, string path)
    {
        var map = ctx.Map(node, path, Keys);
        if (map is null)
        {
            return ResponsesSettings.Default;
        }

        var defaults = ResponsesSettings.Default;
        return new ResponsesSettings(
            Store(ctx, map),
            Retention(ctx, map) ?? defaults.Retention,
            ctx.Size(map["max_size"], map.PathOf("max_size")) ?? defaults.MaxSize);
    }

    private static bool Store(BindContext ctx, MapView map)
    {
        var text = ctx.String(map["store"], map.PathOf("store"))?.Trim();
        if (text is not (null or "true" or "false"))
        {
            ctx.Error(map.PathOf("store"), "must be true or false");
        }

        return text != "false";
    }

    private static TimeSpan? Retention(BindContext ctx, MapView map)
    {
        var path = map.PathOf("retention");
        var text = ctx.String(map["retention"], path)?.Trim();
        if (text is null)
        {
            return null;
        }

        TimeSpan value;
        if (text.EndsWith('d'))
        {
            if (!decimal.TryParse(text[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var days) || days <= 0)
            {
                ctx.Error(path, "expected a duration such as 30d, 12h or 90m");
                return null;
            }

            value = days > (decimal)MaxRetention.TotalDays ? TimeSpan.MaxValue : TimeSpan.FromDays((double)days);
        }
        else if (!ValueParsers.TryParseDuration(text, out value, out var error))
        {
            ctx.Error(path, error.Contains("7 days", StringComparison.Ordinal) ? "longer than 7 days: write it in days, e.g. 30d" : error);
            return null;
        }

        if (value > MaxRetention)
        {
            ctx.Error(path, "must be at most 3650d");
            return null;
        }

        return value;
    }
}
