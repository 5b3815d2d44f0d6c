using System.Diagnostics;
using OpenTelemetry;

namespace Switchyard.Observability;

/// <summary>
/// Runs on every span as it ends, before the exporter: names an attempt span's provider in the conventions' words
/// (<c>gen_ai.provider.name</c>: Dispatch knows the provider's config name, this folder knows the vocabulary), and
/// keeps only the server spans of requests that went through the gateway's pipeline, so health probes and metrics
/// scrapes do not flood the traces (a span not marked <see cref="ActivityTraceFlags.Recorded"/> is not exported).
/// </summary>
internal sealed class GatewaySpanProcessor(RouterState router) : BaseProcessor<Activity>
{
    /// <summary>ASP.NET Core's activity source: its server span is the request's span.</summary>
    public const string HostingSource = "Microsoft.AspNetCore";

    /// <inheritdoc />
    public override void OnEnd(Activity data)
    {
        if (data.Source.Name == GatewayTracing.SourceName)
        {
            if (data.GetTagItem("switchyard.provider") is string name && router.Current.Config.Providers.TryGetValue(name, out var provider))
            {
                data.SetTag(GenAiNames.Provider, GenAiNames.ProviderName(provider));
            }
        }
        else if (data.Source.Name == HostingSource && data.GetTagItem(GenAiNames.RequestId) is null)
        {
            data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }
}
