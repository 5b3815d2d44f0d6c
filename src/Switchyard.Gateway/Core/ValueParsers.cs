using System.Globalization;

namespace Switchyard.Core;

/// <summary>
/// Parsers for the scalar formats of the config file. Each returns false with a message fit to follow the
/// value's path; none echoes the value itself when it could be sensitive.
/// </summary>
internal static class ValueParsers
{
    /// <summary>Upper bound for durations: far beyond any sane timeout, far below <see cref="TimeSpan.MaxValue"/>.</summary>
    private static readonly TimeSpan MaxDuration = TimeSpan.FromDays(7);

    /// <summary>
    /// Durations: <c>250ms</c>, <c>5s</c>, <c>2m</c>, <c>1h</c>, or a bare number of seconds; decimals allowed
    /// (<c>1.5s</c>); must be &gt; 0.
    /// </summary>
    public static bool TryParseDuration(string text, out TimeSpan value, out string error)
    {
        value = default;
        if (!TrySplitNumber(text, out var number, out var unit))
        {
            error = "expected a duration such as 250ms, 5s, 2m, 1h (a bare number means seconds)";
            return false;
        }

        decimal msPerUnit;
        switch (unit.ToLowerInvariant())
        {
            case "ms": msPerUnit = 1m; break;
            case "" or "s": msPerUnit = 1_000m; break;
            case "m": msPerUnit = 60_000m; break;
            case "h": msPerUnit = 3_600_000m; break;
            default:
                error = $"unknown duration unit '{unit}' (use ms, s, m or h)";
                return false;
        }

        var ms = number * msPerUnit;
        if (ms <= 0)
        {
            error = "must be greater than zero";
            return false;
        }

        if (ms > (decimal)MaxDuration.TotalMilliseconds)
        {
            error = "must be at most 7 days";
            return false;
        }

        value = TimeSpan.FromTicks((long)(ms * TimeSpan.TicksPerMillisecond));
        error = "";
        return true;
    }

    /// <summary>
    /// Byte sizes: bare bytes, decimal units (<c>KB</c>, <c>MB</c>, <c>GB</c>) or binary units
    /// (<c>KiB</c>, <c>MiB</c>, <c>GiB</c>); units are case-insensitive; must be &gt; 0.
    /// </summary>
    public static bool TryParseSize(string text, out long value, out string error)
    {
        value = 0;
        if (!TrySplitNumber(text, out var number, out var unit))
        {
            error = "expected a size such as 8MiB, 512KiB, 1MB or a number of bytes";
            return false;
        }

        decimal multiplier;
        switch (unit.ToLowerInvariant())
        {
            case "" or "b": multiplier = 1m; break;
            case "kb": multiplier = 1_000m; break;
            case "mb": multiplier = 1_000_000m; break;
            case "gb": multiplier = 1_000_000_000m; break;
            case "kib": multiplier = 1024m; break;
            case "mib": multiplier = 1024m * 1024; break;
            case "gib": multiplier = 1024m * 1024 * 1024; break;
            default:
                error = $"unknown size unit '{unit}' (use B, KB, MB, GB, KiB, MiB or GiB)";
                return false;
        }

        var bytes = decimal.Round(number * multiplier);
        if (bytes <= 0)
        {
            error = "must be greater than zero";
            return false;
        }

        if (bytes > long.MaxValue)
        {
            error = "is too large";
            return false;
        }

        value = (long)bytes;
        error = "";
        return true;
    }

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static bool TryParseInt(string text, int min, int max, out int value, out string error)
    {
        if (!int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            error = "expected an integer";
            return false;
        }

        if (value < min || value > max)
        {
            error = max == int.MaxValue ? $"must be at least {min}" : $"must be between {min} and {max}";
            return false;
        }

        error = "";
        return true;
    }

    /// <summary>
    /// A client-key hash written as <c>sha256:</c> followed by 64 hex digits (either case). The prefix is
    /// required so a pasted raw key can never be mistaken for a hash.
    /// </summary>
    public static bool TryParseSha256(string text, out byte[] hash, out string error)
    {
        const string Prefix = "sha256:";
        hash = [];
        var t = text.Trim();
        if (!t.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            error = "must be 'sha256:' followed by 64 hex digits (the SHA-256 of the key)";
            return false;
        }

        var hex = t.AsSpan(Prefix.Length);
        if (hex.Length != 64 || !IsHex(hex))
        {
            error = $"must be 'sha256:' followed by exactly 64 hex digits (got {hex.Length} characters{(IsHex(hex) ? "" : ", not all hex")})";
            return false;
        }

        hash = Convert.FromHexString(hex);
        error = "";
        return true;
    }

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Splits "12.5ms" into 12.5 and "ms"; spaces between number and unit are tolerated.</summary>
    private static bool TrySplitNumber(string text, out decimal number, out string unit)
    {
        var t = text.Trim();
        var end = 0;
        while (end < t.Length && (char.IsAsciiDigit(t[end]) || t[end] == '.'))
        {
            end++;
        }

        unit = t[end..].Trim();
        return decimal.TryParse(t.AsSpan(0, end), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out number)
               && unit.All(char.IsAsciiLetter);
    }
}
