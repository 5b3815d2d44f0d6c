using Switchyard.Providers.Echo;

namespace Switchyard.Configuration;

/// <summary>
/// The offline echo model present in every configuration, so a fresh install (or CI, or a demo without
/// keys) always has one model that works end to end. A file may redefine any of the three names; the
/// file's definition then wins and only the remaining built-in pieces are added. The provider is of kind
/// <see cref="EchoProvider.KindName"/>, so a catalog that serves these names must include <see cref="EchoProvider"/>
/// (<see cref="Providers.ProviderCatalog.Default"/> and every catalog extended from it do).
/// </summary>
public static class BuiltInEcho
{
    public const string ProviderName = "switchyard";
    public const string DeploymentName = "switchyard-echo";
    public const string AliasName = "switchyard/echo";
    public const string UpstreamModel = "echo";

    public static ProviderConfig Provider { get; } =
        new(ProviderName, EchoProvider.KindName, EchoProvider.KindName, EchoProvider.BaseUrl, ApiKey: null, Headers: [], Timeouts.Default);

    public static DeploymentConfig Deployment { get; } = new(DeploymentName, Provider, UpstreamModel, Timeouts.Default)
    {
        Price = EchoProvider.Book.PriceFor(EchoProvider.KindName, UpstreamModel, default), // free, and recorded as priced
    };

    public static ModelAlias Alias { get; } =
        new(AliasName, [new WeightedDeployment(Deployment, 1)], Fallbacks: [], FallbackPolicy.Default);

    /// <summary>
    /// Adds whichever built-in entries are not already defined. The built-in pieces reference each other
    /// directly, so the echo alias keeps working even if a file reuses the provider or deployment name.
    /// </summary>
    internal static void AddMissing(
        IDictionary<string, ProviderConfig> providers,
        IDictionary<string, DeploymentConfig> deployments,
        IDictionary<string, ModelAlias> models)
    {
        providers.TryAdd(ProviderName, Provider);
        deployments.TryAdd(DeploymentName, Deployment);
        models.TryAdd(AliasName, Alias);
    }
}
