using System.Text;

namespace Switchyard.Configuration;

/// <summary>
/// <c>${VAR}</c> expansion inside one scalar value. It runs per value rather than over the file text so
/// that an expanded value can never change the YAML structure and every error keeps the value's path.
/// Syntax: <c>${VAR}</c>, <c>${VAR:-default}</c> (default when unset or empty, as in POSIX shells), and
/// <c>$${</c> for a literal <c>${</c>. Anything else (a lone <c>$</c>, <c>$VAR</c>) is left as written.
/// </summary>
internal static class EnvSubstitution
{
    /// <summary>Expands every reference in <paramref name="raw"/>; on any problem reports it and returns null.</summary>
    public static string? Expand(string raw, Func<string, string?> env, string path, List<ConfigError> errors)
    {
        if (!raw.Contains('$'))
        {
            return raw; // the common case: no allocation
        }

        var sb = new StringBuilder(raw.Length);
        var ok = true;
        var i = 0;
        while (i < raw.Length)
        {
            var c = raw[i];
            if (c == '$' && At(raw, i + 1, "${"))
            {
                sb.Append("${"); // escaped: "$${" is a literal "${"
                i += 3;
                continue;
            }

            if (c != '$' || !At(raw, i + 1, "{"))
            {
                sb.Append(c);
                i++;
                continue;
            }

            var close = raw.IndexOf('}', i + 2);
            if (close < 0)
            {
                errors.Add(new ConfigError(path, "unterminated '${' (write '$${' for a literal '${')"));
                return null;
            }

            var body = raw.AsSpan(i + 2, close - i - 2);
            if (!TryParseBody(body, out var name, out var fallback))
            {
                errors.Add(new ConfigError(path,
                    $"invalid variable reference '${{{body}}}': expected ${{NAME}} or ${{NAME:-default}} where NAME is letters, digits and '_'"));
                ok = false;
            }
            else
            {
                var value = env(name);
                if (fallback is not null && string.IsNullOrEmpty(value))
                {
                    sb.Append(fallback);
                }
                else if (value is null)
                {
                    errors.Add(new ConfigError(path,
                        $"environment variable '{name}' is not set (write ${{{name}:-default}} to give a default)"));
                    ok = false;
                }
                else
                {
                    sb.Append(value);
                }
            }

            i = close + 1;
        }

        return ok ? sb.ToString() : null;
    }

    /// <summary>
    /// True when <paramref name="raw"/> is exactly one reference and nothing else, e.g. <c>${OPENAI_API_KEY}</c>.
    /// Used where a value must come from the environment (API keys) and never from the file.
    /// </summary>
    public static bool TryParseSingleReference(string raw, out string name, out string? fallback)
    {
        name = "";
        fallback = null;
        var trimmed = raw.AsSpan().Trim();
        if (trimmed.Length < 4 || !trimmed.StartsWith("${") || trimmed[^1] != '}')
        {
            return false;
        }

        var body = trimmed[2..^1];
        return body.IndexOf('}') < 0 && TryParseBody(body, out name, out fallback);
    }

    /// <summary>True for names a shell would accept: letters, digits and '_', not starting with a digit.</summary>
    public static bool IsValidVariableName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (var ch in name)
        {
            if (!char.IsAsciiLetterOrDigit(ch) && ch != '_')
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryParseBody(ReadOnlySpan<char> body, out string name, out string? fallback)
    {
        var sep = body.IndexOf(":-");
        var nameSpan = sep < 0 ? body : body[..sep];
        fallback = sep < 0 ? null : body[(sep + 2)..].ToString();
        name = nameSpan.ToString();
        return IsValidVariableName(nameSpan);
    }

    private static bool At(string s, int index, string expected) =>
        index + expected.Length <= s.Length && string.CompareOrdinal(s, index, expected, 0, expected.Length) == 0;
}
