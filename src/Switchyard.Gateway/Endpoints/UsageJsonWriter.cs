using System.Globalization;
using System.Text.Json;

namespace Switchyard.Endpoints;

/// <summary>
/// The JSON of the usage endpoints. Money is given twice: <c>cost_micros</c> (integer micro-dollars, exact, what the
/// records hold) and <c>cost_usd</c> (a number for display; sums of it may round).
/// </summary>
internal static class UsageJsonWriter
{
    /// <summary>A spend group.</summary>
    public static void Spend(Utf8JsonWriter w, SpendRow row)
    {
        w.WriteStartObject();
        w.WriteString("group", row.Group);
        w.WriteNumber("requests", row.Requests);
        w.WriteNumber("errors", row.Errors);
        Cost(w, row.CostMicros);
        Tokens(w, row.Tokens);
        w.WriteEndObject();
    }

    /// <summary>Totals and percentiles.</summary>
    public static void Summary(Utf8JsonWriter w, StatsSummary s)
    {
        w.WriteNumber("requests", s.Requests);
        w.WriteNumber("errors", s.Errors);
        Cost(w, s.CostMicros);
        Tokens(w, s.Tokens);
        Ms(w, "latency_p50_ms", s.LatencyP50);
        Ms(w, "latency_p99_ms", s.LatencyP99);
        Ms(w, "ttft_p50_ms", s.TtftP50);
        Ms(w, "ttft_p99_ms", s.TtftP99);
    }

    /// <summary>A record as the explorer lists it; with <paramref name="detail"/>, its whole story (every attempt, parsed).</summary>
    public static void Record(Utf8JsonWriter w, UsageRecord r, bool detail)
    {
        w.WriteStartObject();
        w.WriteString("id", r.RequestId);
        w.WriteString("object", "usage.record");
        w.WriteString("started_at", Iso(r.StartedAtMs));
        w.WriteString("client_request_id", r.ClientRequestId);
        w.WriteString("key", r.KeyId);
        w.WriteString("team", r.TeamId);
        w.WriteString("customer", r.CustomerId);
        w.WriteString("operation", r.Operation);
        w.WriteString("format", r.Format);
        w.WriteString("model", r.Alias);
        w.WriteString("route", r.Route);
        w.WriteString("intended_deployment", r.IntendedDeployment);
        w.WriteString("final_deployment", r.FinalDeployment);
        w.WriteString("final_model", r.FinalModel);
        w.WriteNumber("status", r.Status);
        w.WriteString("error_kind", r.ErrorKind);
        w.WriteNumber("attempts", r.Attempts);
        w.WriteString("fallback_reason", r.FallbackReason);
        w.WriteBoolean("stream", r.Stream);
        w.WriteBoolean("hedged", r.Hedged);
        Ms(w, "latency_ms", r.LatencyMs);
        Ms(w, "ttft_ms", r.TimeToFirstTokenMs);
        Cost(w, r.CostMicros);
        w.WriteString("price_version", r.PriceVersion);
        Tokens(w, new TokenCounts(r.PromptTokens, r.CompletionTokens, r.CachedTokens, r.CacheWriteTokens, r.ReasoningTokens, r.TotalTokens));
        if (detail)
        {
            Detail(w, r);
        }

        w.WriteEndObject();
    }

    private static void Detail(Utf8JsonWriter w, UsageRecord r)
    {
        w.WriteString("usage_source", r.UsageSource);
        w.WriteString("dropped_params", r.DroppedParams);
        w.WriteString("adaptations", r.Adaptations);
        w.WriteString("guardrails", r.Guardrails);
        w.WriteNumber("hedge_loser_prompt_tokens", r.HedgeLoserPromptTokens);
        w.WriteNumber("hedge_loser_completion_tokens", r.HedgeLoserCompletionTokens);
        w.WriteStartArray("attempt_log");
        foreach (var (deployment, outcome, ms) in Attempts(r))
        {
            w.WriteStartObject();
            w.WriteString("deployment", deployment);
            w.WriteString("outcome", outcome);
            Ms(w, "duration_ms", ms);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>
    /// The attempts of a record: its <c>attempt_log</c> (<c>deployment:outcome:NNms</c>, comma-separated; a deployment
    /// name may itself hold ':', so the two last fields are cut from the right), or, when the log is null because
    /// one attempt succeeded, that attempt (its duration is not recorded apart from the request's).
    /// </summary>
    internal static IEnumerable<(string Deployment, string Outcome, double? Ms)> Attempts(UsageRecord r)
    {
        if (r.AttemptLog is null)
        {
            if (r.Attempts > 0 && r.FinalDeployment is { } only)
            {
                yield return (only, "ok", null);
            }

            yield break;
        }

        foreach (var entry in r.AttemptLog.Split(','))
        {
            var last = entry.LastIndexOf(':');
            var middle = last > 0 ? entry.LastIndexOf(':', last - 1) : -1;
            if (middle <= 0)
            {
                yield return (entry, "unknown", null);
                continue;
            }

            var ms = entry[(last + 1)..].Replace("ms", "", StringComparison.Ordinal);
            yield return (entry[..middle], entry[(middle + 1)..last],
                double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null);
        }
    }

    /// <summary>Unix milliseconds as ISO 8601 UTC with milliseconds.</summary>
    public static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void Cost(Utf8JsonWriter w, long micros)
    {
        w.WriteNumber("cost_micros", micros);
        w.WriteNumber("cost_usd", micros / 1_000_000m);
    }

    private static void Tokens(Utf8JsonWriter w, TokenCounts t)
    {
        w.WriteStartObject("tokens");
        w.WriteNumber("prompt", t.Prompt);
        w.WriteNumber("completion", t.Completion);
        w.WriteNumber("cached", t.Cached);
        w.WriteNumber("cache_write", t.CacheWrite);
        w.WriteNumber("reasoning", t.Reasoning);
        w.WriteNumber("total", t.Total);
        w.WriteEndObject();
    }

    private static void Ms(Utf8JsonWriter w, string name, double? ms)
    {
        if (ms is { } value)
        {
            w.WriteNumber(name, Math.Round(value, 1));
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
