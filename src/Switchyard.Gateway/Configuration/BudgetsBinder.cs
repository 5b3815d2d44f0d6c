using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Binds <c>budgets:</c>: <c>alert_webhook</c> (an http(s) URL every budget alert is POSTed to) and
/// <c>alert_webhook_headers</c> (e.g. <c>{ authorization: "Bearer ${ALERT_TOKEN}" }</c>). Values are never echoed in
/// errors: a header usually carries a secret.
/// </summary>
internal static class BudgetsBinder
{
    private static readonly FrozenSet<string> Keys = FrozenSet.Create(StringComparer.Ordinal, "alert_webhook", "alert_webhook_headers");

    public static BudgetSettings Bind(BindContext ctx, YamlNode? node, string path)
    {
        var map = ctx.Map(node, path, Keys);
        if (map is null)
        {
            return BudgetSettings.Default;
        }

        Uri? webhook = null;
        if (ctx.String(map["alert_webhook"], map.PathOf("alert_webhook"))?.Trim() is { } text
            && (!Uri.TryCreate(text, UriKind.Absolute, out webhook) || webhook.Scheme is not ("http" or "https")))
        {
            ctx.Error(map.PathOf("alert_webhook"), "must be an absolute http or https URL");
            webhook = null;
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var headersPath = map.PathOf("alert_webhook_headers");
        foreach (var (name, valueNode) in ctx.Entries(map["alert_webhook_headers"], headersPath) ?? [])
        {
            var headerPath = BindContext.Child(headersPath, name);
            var value = ctx.String(valueNode, headerPath);
            if (name.Length == 0 || name.AsSpan().IndexOfAny("\r\n :\0") >= 0)
            {
                ctx.Error(headerPath, "invalid header name");
            }
            else if (value is null || value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
            {
                ctx.Error(headerPath, "header value is required and may not contain line breaks");
            }
            else
            {
                headers[name] = value;
            }
        }

        return new BudgetSettings(webhook, headers);
    }
}
