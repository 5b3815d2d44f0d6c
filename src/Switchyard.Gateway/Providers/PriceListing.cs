using System.Globalization;
using System.Text;

namespace Switchyard.Providers;

/// <summary>
/// <c>switchyard prices</c>: the price book as text, one table per price list with its source and read date, and,
/// for a configuration, what each deployment is priced at and by which version (the file's <c>price:</c> or the book's
/// entry), so an operator sees which deployments are unpriced before a record says so.
/// </summary>
public static class PriceListing
{
    private const string Header = "  {0,-44} {1,-10} {2,9} {3,9} {4,9} {5,9} {6,9}";

    /// <summary>Every list of every kind in <paramref name="catalog"/>, in registration order.</summary>
    public static string Book(ProviderCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var text = new StringBuilder("USD per million tokens; '-' = billed at the input (or output) rate it refines.\n");
        foreach (var descriptor in catalog.Descriptors)
        {
            foreach (var list in descriptor.Prices.Lists)
            {
                var presets = list.Presets is { } p ? $" preset {string.Join(", ", p)}," : "";
                text.Append(CultureInfo.InvariantCulture, $"\n{descriptor.Kind} / {list.Provider}:{presets} {list.Source} (read {list.Read:yyyy-MM-dd})\n");
                text.AppendFormat(CultureInfo.InvariantCulture, Header, "model", "from", "input", "cached", "write", "write 1h", "output").Append('\n');
                foreach (var entry in list.Entries)
                {
                    Row(text, entry.Model, entry.Price);
                }
            }
        }

        return text.ToString();
    }

    /// <summary>Each deployment of <paramref name="config"/> with the price it is costed at today and where that price comes from.</summary>
    public static string Deployments(GatewayConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var text = new StringBuilder();
        text.AppendFormat(CultureInfo.InvariantCulture, Header, "deployment (version)", "from", "input", "cached", "write", "write 1h", "output").Append('\n');
        foreach (var (name, deployment) in config.Deployments.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            if (deployment.Price is { } price)
            {
                Row(text, $"{name} ({price.Version})", price);
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"  {name + " (unpriced: set price:)",-44} {deployment.Provider.Name}/{deployment.UpstreamModel}\n");
            }
        }

        return text.ToString();
    }

    private static void Row(StringBuilder text, string label, Price p) =>
        text.AppendFormat(CultureInfo.InvariantCulture, Header, label, p.EffectiveFrom?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "config",
            Rate(p.Input), Rate(p.CachedInput), Rate(p.CacheWrite), Rate(p.CacheWrite1h), Rate(p.Output)).Append('\n');

    private static string Rate(decimal? rate) => rate is { } r ? r.ToString("0.####", CultureInfo.InvariantCulture) : "-";
}
