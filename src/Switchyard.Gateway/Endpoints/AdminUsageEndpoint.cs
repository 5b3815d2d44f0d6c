using System.Globalization;
using Microsoft.AspNetCore.Http;
using Switchyard.Auth;

namespace Switchyard.Endpoints;

/// <summary>
/// The usage records for people (admin role), read through <see cref="IUsageQuery"/>:
/// <c>GET /v1/admin/spend</c> (spend, tokens and requests grouped by key, team, customer, model, route, deployment,
/// day or hour), <c>GET /v1/admin/requests</c> (the records, newest first) and <c>/v1/admin/requests/{id}</c> (one
/// record's whole story), <c>GET /v1/admin/stats</c> (the console's overview: totals, p50/p99 and a series).
/// Every range and page is bounded; pages continue with <c>cursor</c> = the previous page's <c>next_cursor</c>.
/// </summary>
public sealed class AdminUsageEndpoint(Authorizer authorizer, TimeProvider time, IUsageQuery? query = null)
{
    private IUsageQuery usage => query!;

    /// <summary>The caller is an admin and the records can be queried; else the answer (403, or 501 without a query port) is written.</summary>
    private async Task<bool> ReadyAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is null)
        {
            return false;
        }

        if (query is null)
        {
            await AdminHttp.ErrorAsync(http, new ClientError(501, ErrorCategory.InvalidRequest,
                "The usage views (spend, requests, stats) read the SQLite records; with storage.kind postgres they are not available yet.",
                null, "not_implemented")).ConfigureAwait(false);
            return false;
        }

        return true;
    }

    /// <summary>The longest range of a spend or requests query (a year: monthly reports across one).</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(366);

    /// <summary>The longest range of an overview, which reads records rather than aggregating in SQL.</summary>
    public static readonly TimeSpan MaxStatsRange = TimeSpan.FromDays(31);

    /// <summary>The most buckets in an overview's series.</summary>
    public const int MaxBuckets = 1440;

    /// <summary><c>GET /v1/admin/spend</c>: <c>group_by</c> (default <c>key</c>), <c>order</c> (<c>group</c>, <c>cost</c>, <c>requests</c>), 30 days back by default.</summary>
    public async Task SpendAsync(HttpContext http)
    {
        if (!await ReadyAsync(http).ConfigureAwait(false))
        {
            return;
        }

        var request = http.Request;
        if (UsageQueryParams.First(UsageQueryParams.Filter(request, time.GetUtcNow(), TimeSpan.FromDays(30), MaxRange, out var filter),
                Group(request, out var group), Order(request, out var order),
                UsageQueryParams.Limit(request, 100, 1000, out var limit), UsageQueryParams.Cursor(request, out var cursor)) is { } invalid)
        {
            await AdminHttp.ErrorAsync(http, invalid).ConfigureAwait(false);
            return;
        }

        var page = usage.Spend(new SpendQuery(filter, group, order, limit, cursor is { } c ? new SpendCursor(c.Number, c.Text) : null));
        await AdminHttp.JsonAsync(http, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteString("group_by", AdminHttp.Query(request, "group_by") ?? "key");
            Range(w, filter);
            w.WriteStartArray("data");
            foreach (var row in page.Rows)
            {
                UsageJsonWriter.Spend(w, row);
            }

            w.WriteEndArray();
            w.WriteBoolean("has_more", page.Next is not null);
            w.WriteString("next_cursor", page.Next is { } next ? UsageQueryParams.EncodeCursor(next.Rank, next.Group) : null);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary><c>GET /v1/admin/requests</c>: the records, newest first (24 hours back by default; <c>limit</c> ≤ 100).</summary>
    public async Task RequestsAsync(HttpContext http)
    {
        if (!await ReadyAsync(http).ConfigureAwait(false))
        {
            return;
        }

        var request = http.Request;
        if (UsageQueryParams.First(UsageQueryParams.Filter(request, time.GetUtcNow(), TimeSpan.FromDays(1), MaxRange, out var filter),
                UsageQueryParams.Limit(request, 50, 100, out var limit), UsageQueryParams.Cursor(request, out var cursor)) is { } invalid)
        {
            await AdminHttp.ErrorAsync(http, invalid).ConfigureAwait(false);
            return;
        }

        RecordCursor? after = null;
        if (cursor is { } c)
        {
            if (!long.TryParse(c.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var rowId))
            {
                await AdminHttp.ErrorAsync(http, AdminErrors.Invalid("cursor", "is not a cursor this endpoint returned")).ConfigureAwait(false);
                return;
            }

            after = new RecordCursor(c.Number, rowId);
        }

        var page = usage.Records(new RecordQuery(filter, limit, after));
        await AdminHttp.JsonAsync(http, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            Range(w, filter);
            w.WriteStartArray("data");
            foreach (var record in page.Records)
            {
                UsageJsonWriter.Record(w, record, detail: false);
            }

            w.WriteEndArray();
            w.WriteBoolean("has_more", page.Next is not null);
            w.WriteString("next_cursor", page.Next is { } next
                ? UsageQueryParams.EncodeCursor(next.StartedAtMs, next.RowId.ToString(CultureInfo.InvariantCulture)) : null);
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary><c>GET /v1/admin/requests/{id}</c>: one record with every attempt.</summary>
    public async Task RequestAsync(HttpContext http)
    {
        if (!await ReadyAsync(http).ConfigureAwait(false))
        {
            return;
        }

        var id = (string)http.Request.RouteValues["id"]!;
        if (usage.Record(id) is not { } record)
        {
            await AdminHttp.ErrorAsync(http, AdminErrors.NotFound("request", id)).ConfigureAwait(false);
            return;
        }

        await AdminHttp.JsonAsync(http, 200, w => UsageJsonWriter.Record(w, record, detail: true)).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>GET /v1/admin/stats</c>: totals, latency and TTFT p50/p99, and a series of <c>bucket</c> seconds (default: the
    /// range in 60 buckets); one hour back by default, 31 days at most.
    /// </summary>
    public async Task StatsAsync(HttpContext http)
    {
        if (!await ReadyAsync(http).ConfigureAwait(false))
        {
            return;
        }

        var request = http.Request;
        var invalid = UsageQueryParams.Filter(request, time.GetUtcNow(), TimeSpan.FromHours(1), MaxStatsRange, out var filter);
        var bucketMs = 0L;
        if ((invalid ??= Bucket(request, filter, out bucketMs)) is { } error)
        {
            await AdminHttp.ErrorAsync(http, error).ConfigureAwait(false);
            return;
        }

        var stats = usage.Stats(new StatsQuery(filter, bucketMs));
        await AdminHttp.JsonAsync(http, 200, w => WriteStats(w, filter, bucketMs, stats)).ConfigureAwait(false);
    }

    private static void WriteStats(System.Text.Json.Utf8JsonWriter w, UsageFilter filter, long bucketMs, UsageStats stats)
    {
        w.WriteStartObject();
        w.WriteString("object", "usage.stats");
        Range(w, filter);
        w.WriteNumber("bucket_seconds", bucketMs / 1000.0);
        w.WriteBoolean("sampled", stats.Sampled);
        w.WriteStartObject("total");
        UsageJsonWriter.Summary(w, stats.Total);
        w.WriteEndObject();
        w.WriteStartArray("series");
        foreach (var bucket in stats.Series)
        {
            w.WriteStartObject();
            w.WriteString("start", UsageJsonWriter.Iso(bucket.StartMs));
            UsageJsonWriter.Summary(w, bucket.Summary);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Range(System.Text.Json.Utf8JsonWriter w, UsageFilter filter)
    {
        w.WriteString("from", UsageJsonWriter.Iso(filter.From));
        w.WriteString("to", UsageJsonWriter.Iso(filter.To));
    }

    private static ClientError? Group(HttpRequest request, out SpendGroup group)
    {
        group = SpendGroup.Key;
        var value = AdminHttp.Query(request, "group_by");
        if (value is null)
        {
            return null;
        }

        SpendGroup? parsed = value switch
        {
            "key" => SpendGroup.Key, "team" => SpendGroup.Team, "customer" => SpendGroup.Customer, "model" => SpendGroup.Model,
            "route" => SpendGroup.Route, "deployment" => SpendGroup.Deployment, "day" => SpendGroup.Day, "hour" => SpendGroup.Hour,
            _ => null,
        };
        group = parsed.GetValueOrDefault();
        return parsed is null ? AdminErrors.Invalid("group_by", "must be key, team, customer, model, route, deployment, day or hour") : null;
    }

    private static ClientError? Order(HttpRequest request, out SpendOrder order)
    {
        order = SpendOrder.Group;
        switch (AdminHttp.Query(request, "order"))
        {
            case null or "group":
                return null;
            case "cost":
                order = SpendOrder.Cost;
                return null;
            case "requests":
                order = SpendOrder.Requests;
                return null;
            default:
                return AdminErrors.Invalid("order", "must be group, cost or requests");
        }
    }

    private static ClientError? Bucket(HttpRequest request, UsageFilter filter, out long bucketMs)
    {
        var range = filter.To - filter.From;
        bucketMs = Math.Max(1000, (range + 59) / 60);
        if (request.Query["bucket"] is { Count: > 0 } b)
        {
            if (!long.TryParse(b[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds < 1)
            {
                return AdminErrors.Invalid("bucket", "must be a whole number of seconds");
            }

            bucketMs = seconds * 1000;
        }

        return (range + bucketMs - 1) / bucketMs > MaxBuckets
            ? AdminErrors.Invalid("bucket", $"the range may hold at most {MaxBuckets} buckets") : null;
    }
}
