namespace Switchyard.Core;

/// <summary>
/// The rules every source of governance data obeys (the config file, the admin API, a request's customer
/// header), in one place so that the YAML binder and the JSON reader cannot disagree. Each check returns an
/// error message fit to follow the value's name, or null.
/// </summary>
public static class GovernanceRules
{
    /// <summary>Longest key, team or customer name (a label for people).</summary>
    public const int MaxNameLength = 128;

    /// <summary>Longest team id: ids appear in URLs, usage records and logs.</summary>
    public const int MaxIdLength = 64;

    /// <summary>
    /// Longest customer id, the same bound as a model name: the id comes from a request (a header or the body's
    /// <c>user</c>), is stored in every usage record and may be echoed in an error.
    /// </summary>
    public const int MaxCustomerIdLength = 256;

    /// <summary>Most entries in one list (allowed models, routes) and one metadata map.</summary>
    public const int MaxListEntries = 256;

    /// <summary>Longest metadata key or value.</summary>
    public const int MaxMetadataLength = 512;

    /// <summary>A team id: 1–64 ASCII letters, digits, '.', '-', '_', starting with a letter or digit.</summary>
    public static string? CheckId(string id)
    {
        if (id.Length is 0 or > MaxIdLength || !char.IsAsciiLetterOrDigit(id[0]))
        {
            return $"must be 1 to {MaxIdLength} characters starting with a letter or digit";
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '-' or '_'))
            {
                return "may contain only ASCII letters, digits, '.', '-' and '_'";
            }
        }

        return null;
    }

    /// <summary>A customer id: 1–256 characters, none of them a control character (it goes to headers, logs and records).</summary>
    public static string? CheckCustomerId(ReadOnlySpan<char> id)
    {
        if (id.IsEmpty || id.Length > MaxCustomerIdLength)
        {
            return $"must be 1 to {MaxCustomerIdLength} characters";
        }

        foreach (var c in id)
        {
            if (char.IsControl(c))
            {
                return "must not contain control characters";
            }
        }

        return null;
    }

    /// <summary>A display name: 1–128 characters without control characters.</summary>
    public static string? CheckName(string name) =>
        name.Trim().Length == 0 || name.Length > MaxNameLength || name.Any(char.IsControl)
            ? $"must be 1 to {MaxNameLength} characters without control characters"
            : null;

    /// <summary>An allowed-model entry: an exact model name, or <c>prefix/*</c> (every model whose name starts with <c>prefix/</c>).</summary>
    public static string? CheckModelPattern(string pattern)
    {
        if (pattern.Length is 0 or > 256)
        {
            return "must be a model name or 'prefix/*' of 1 to 256 characters";
        }

        var star = pattern.IndexOf('*');
        if (star >= 0 && (star != pattern.Length - 1 || pattern.Length < 3 || pattern[^2] != '/'))
        {
            return $"'{pattern}' is not a model name or 'prefix/*' ('*' is only allowed as the whole last segment)";
        }

        return null;
    }

    /// <summary>
    /// A model of <c>model_limits</c>: an exact name, since a key × model limit is looked up by the request's model
    /// as written (a <c>prefix/*</c> there would never match, and would silently limit nothing).
    /// </summary>
    public static string? CheckModelName(string name)
    {
        if (name.Length is 0 or > 256 || name.Trim().Length != name.Length || name.Any(char.IsControl))
        {
            return "must be a model name of 1 to 256 characters, without surrounding spaces or control characters";
        }

        return name.Contains('*', StringComparison.Ordinal)
            ? $"'{name}' is a pattern; model_limits takes exact model names (the request's model as written), not 'prefix/*'"
            : null;
    }

    /// <summary>Whether <paramref name="model"/> is one of <paramref name="patterns"/> (exact, or under a <c>prefix/*</c>); an empty list allows every model.</summary>
    public static bool AllowsModel(IReadOnlyList<string> patterns, string model)
    {
        if (patterns.Count == 0)
        {
            return true;
        }

        for (var i = 0; i < patterns.Count; i++)
        {
            var p = patterns[i];
            if (p.EndsWith("/*", StringComparison.Ordinal)
                ? model.Length > p.Length - 1 && model.AsSpan().StartsWith(p.AsSpan(0, p.Length - 1), StringComparison.Ordinal)
                : string.Equals(p, model, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first invalid value of <paramref name="limits"/>, as (field, message), or null.</summary>
    public static (string Field, string Message)? CheckLimits(LimitSet limits) =>
        limits.Rpm is <= 0 ? ("rpm", "must be a positive integer")
        : limits.Tpm is <= 0 ? ("tpm", "must be a positive integer")
        : limits.InputTpm is <= 0 ? ("input_tpm", "must be a positive integer")
        : limits.OutputTpm is <= 0 ? ("output_tpm", "must be a positive integer")
        : limits.Concurrency is <= 0 ? ("concurrency", "must be a positive integer")
        : null;

    /// <summary>The first invalid value of <paramref name="budget"/>, as (field, message), or null.</summary>
    public static (string Field, string Message)? CheckBudget(BudgetRule budget)
    {
        if (budget.LimitMicros <= 0)
        {
            return ("limit_usd", "must be greater than zero");
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(budget.TimeZone, out _))
        {
            return ("time_zone", $"unknown time zone '{budget.TimeZone}' (use an IANA name such as UTC or Europe/Paris)");
        }

        foreach (var share in budget.AlertAt)
        {
            if (!(share > 0 && share <= 1))
            {
                return ("alert_at", "each share must be greater than 0 and at most 1 (e.g. 0.8)");
            }
        }

        return budget.MaxReservationMicros is <= 0 ? ("max_reservation_usd", "must be greater than zero") : null;
    }

    /// <summary>
    /// An instant: ISO 8601 / RFC 3339 (<c>2027-01-31T00:00:00Z</c>, <c>2027-01-31T09:00:00+02:00</c>) or a date
    /// (<c>2027-01-31</c>, midnight UTC). Without an offset the time is UTC.
    /// </summary>
    public static bool TryParseInstant(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out value);

    /// <summary>
    /// Dollars to micro-dollars, exactly: an amount finer than a micro-dollar is refused rather than rounded.
    /// </summary>
    public static bool TryMicros(decimal usd, out long micros)
    {
        micros = 0;
        var scaled = usd * 1_000_000m;
        if (scaled != decimal.Truncate(scaled) || scaled > long.MaxValue || scaled < long.MinValue)
        {
            return false;
        }

        micros = (long)scaled;
        return true;
    }

    /// <summary>Micro-dollars as dollars (exact).</summary>
    public static decimal Usd(long micros) => micros / 1_000_000m;

    /// <summary>The config and API name of <paramref name="period"/>.</summary>
    public static string PeriodName(BudgetPeriod period) => period switch
    {
        BudgetPeriod.Daily => "daily",
        BudgetPeriod.Weekly => "weekly",
        BudgetPeriod.Monthly => "monthly",
        _ => "lifetime",
    };

    /// <summary>Parses a period name (<c>daily</c>, <c>weekly</c>, <c>monthly</c>, <c>lifetime</c>).</summary>
    public static BudgetPeriod? ParsePeriod(string? name) => name switch
    {
        "daily" => BudgetPeriod.Daily,
        "weekly" => BudgetPeriod.Weekly,
        "monthly" => BudgetPeriod.Monthly,
        "lifetime" => BudgetPeriod.Lifetime,
        _ => null,
    };

    /// <summary>The config and API name of <paramref name="mode"/>.</summary>
    public static string StreamModeName(BudgetStreamMode mode) => mode == BudgetStreamMode.Finish ? "finish" : "hard_stop";

    /// <summary>Parses a stream mode name (<c>hard_stop</c>, <c>finish</c>).</summary>
    public static BudgetStreamMode? ParseStreamMode(string? name) => name switch
    {
        "hard_stop" => BudgetStreamMode.HardStop,
        "finish" => BudgetStreamMode.Finish,
        _ => null,
    };

    /// <summary>The config and API name of a scope's <c>on_unreachable</c>.</summary>
    public static string FallbackName(RedisFallback fallback) => fallback == RedisFallback.Local ? "local" : "fail_closed";

    /// <summary>Parses an <c>on_unreachable</c> name (<c>fail_closed</c>, <c>local</c>).</summary>
    public static RedisFallback? ParseFallback(string? name) => name switch
    {
        "fail_closed" => RedisFallback.FailClosed,
        "local" => RedisFallback.Local,
        _ => null,
    };

    /// <summary>The config and API name of <paramref name="role"/>.</summary>
    public static string RoleName(KeyRole role) => role switch
    {
        KeyRole.Admin => "admin",
        KeyRole.Operator => "operator",
        _ => "client",
    };

    /// <summary>Parses a role name (<c>client</c>, <c>operator</c>, <c>admin</c>).</summary>
    public static KeyRole? ParseRole(string? name) => name switch
    {
        "client" => KeyRole.Client,
        "operator" => KeyRole.Operator,
        "admin" => KeyRole.Admin,
        _ => null,
    };
}
