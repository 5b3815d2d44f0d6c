using System.Globalization;

namespace Switchyard.Providers.Replicate;

/// <summary>
/// <c>kind: replicate</c> (and <c>preset: replicate</c>): models run as Replicate predictions, behind
/// <c>/v1/images/generations</c> (docs/adr/0017-beyond-chat.md). A deployment's model is <c>owner/name</c> for an
/// official model (<c>POST /models/{owner}/{name}/predictions</c>, billed per output) or <c>owner/name:version</c> for
/// a community model (<c>POST /predictions</c> with the version, billed by the second of hardware it ran on).
/// Settings: <c>poll_interval</c> (default 1s) between two reads of a running prediction, <c>wait</c> (1 to 60 seconds,
/// default 60) for Replicate's <c>Prefer: wait</c> sync mode, <c>webhook_url</c> (the gateway's public
/// <c>https://HOST/v1/webhooks/replicate</c>: each prediction is created with <c>webhook: URL/{deployment}</c> and
/// <c>webhook_events_filter: [completed]</c>) and <c>webhook_secret</c> (the account's <c>whsec_…</c> signing secret that
/// deliveries are checked with).
/// </summary>
public sealed class ReplicateProvider : ProviderDescriptor
{
    /// <summary>The kind name.</summary>
    public const string KindName = "replicate";

    /// <summary>Replicate's sync mode holds a create open at most this long (its docs: <c>Prefer: wait=n</c>, n from 1 to 60).</summary>
    public const int MaxWaitSeconds = 60;

    private static readonly string[] Names = ["poll_interval", "wait", "webhook_url", "webhook_secret"];

    private static readonly ProviderPreset[] Known =
    [
        ProviderPreset.Hosted("replicate", "https://api.replicate.com/v1", "REPLICATE_API_TOKEN",
            "black-forest-labs/flux-schnell", "black-forest-labs/flux-dev", "black-forest-labs/flux-pro"),
    ];

    /// <inheritdoc />
    public override string Kind => KindName;

    /// <inheritdoc />
    public override IReadOnlyList<string> Settings => Names;

    /// <inheritdoc />
    public override IReadOnlyList<ProviderPreset> Presets => Known;

    /// <summary>Images (a prediction followed to its end) and videos (a prediction taken in as a video job); text models have no front door here.</summary>
    public override OperationKinds Serves => OperationKinds.Images | OperationKinds.Videos;

    /// <summary>Replicate's per-image prices of its official image models (<c>prices.json</c> beside this file).</summary>
    public static PriceBook Book { get; } = PriceBook.FromResources(typeof(ReplicateProvider).Assembly, typeof(ReplicateProvider).Namespace + ".prices.json");

    /// <inheritdoc />
    public override PriceBook Prices => Book;

    /// <summary>Checks <c>poll_interval</c> (a duration), <c>wait</c> (whole seconds, 1 to 60), <c>webhook_url</c> (absolute http(s)) and <c>webhook_secret</c> (<c>whsec_</c> + base64).</summary>
    public override Uri? CheckSettings(ProviderSettingsContext context)
    {
        if (context.Settings.TryGetValue("poll_interval", out var interval) && !ValueParsers.TryParseDuration(interval, out _, out var error))
        {
            context.Error("settings.poll_interval: " + error);
        }

        if (context.Settings.TryGetValue("wait", out var wait)
            && !(int.TryParse(wait, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds is >= 1 and <= MaxWaitSeconds))
        {
            context.Error($"settings.wait: whole seconds from 1 to {MaxWaitSeconds} (Replicate's Prefer: wait limit)");
        }

        if (context.Settings.TryGetValue("webhook_url", out var url)
            && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"))
        {
            context.Error("settings.webhook_url: an absolute http(s) URL (the gateway's public /v1/webhooks/replicate)");
        }

        if (context.Settings.TryGetValue("webhook_secret", out var secret) && ReplicateWebhooks.Key(secret) is null)
        {
            context.Error("settings.webhook_secret: Replicate's signing secret, 'whsec_' followed by base64"); // the value is never echoed
        }

        return null;
    }

    /// <inheritdoc />
    public override IProviderAdapter CreateAdapter(ProviderServices services) => new ReplicateAdapter();

    /// <inheritdoc />
    public override IMediaProvider CreateMedia(ProviderServices services) => new ReplicateImages();

    /// <inheritdoc />
    public override IVideoProvider CreateVideos(ProviderServices services) => new ReplicateVideos();
}
