using ArchUnitNET.Loader;

namespace Switchyard.Tests.Architecture;

/// <summary>
/// Providers are local: the generic folders reach them only through <c>ProviderDescriptor</c> (Core) and the
/// catalog and registry (<c>Switchyard.Providers</c>), never through a provider's own folder
/// (<c>Switchyard.Providers.Bedrock</c>, ...). So adding or removing a provider edits its folder and the catalog's
/// one line, and no generic code names it.
/// </summary>
public sealed class ProviderLocalityTests
{
    /// <summary>Folders that must not know any provider by name.</summary>
    private static readonly string[] Generic = ["Core", "Configuration", "Dispatch", "Routing", "Upstream"];

    /// <summary>
    /// Deliberate exceptions. The built-in echo model is a product feature (every configuration has it), so its
    /// configuration names the echo kind and its reserved host.
    /// </summary>
    private static readonly HashSet<(string From, string To)> Allowed =
    [
        ("Switchyard.Configuration.BuiltInEcho", "Switchyard.Providers.Echo"),
    ];

    [Fact]
    public void GenericFolders_UseNoProviderFolder()
    {
        var architecture = new ArchLoader().LoadAssemblies(typeof(Switchyard.Hosting.GatewayApp).Assembly).Build();
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in architecture.Types)
        {
            var ns = type.Namespace?.FullName ?? "";
            if (!Generic.Any(g => ns == "Switchyard." + g || ns.StartsWith("Switchyard." + g + ".", StringComparison.Ordinal)))
            {
                continue;
            }

            foreach (var dependency in type.Dependencies)
            {
                var target = dependency.Target?.Namespace?.FullName ?? "";
                var from = Outer(type.FullName);
                if (target.StartsWith("Switchyard.Providers.", StringComparison.Ordinal) && !Allowed.Contains((from, target)))
                {
                    violations.Add($"{from} uses {Outer(dependency.Target!.FullName)}");
                }
            }
        }

        Assert.True(violations.Count == 0, "Generic code naming a provider:\n" + string.Join("\n", violations));
    }

    private static string Outer(string fullName)
    {
        var plus = fullName.IndexOf('+');
        return plus < 0 ? fullName : fullName[..plus];
    }
}
