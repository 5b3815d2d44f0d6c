using ArchUnitNET.Domain;
using ArchUnitNET.Loader;

namespace Switchyard.Tests.Architecture;

/// <summary>
/// The top-level folders of Switchyard.Gateway (one namespace each: <c>Switchyard.X</c>) form layers, listed
/// here from the top. A folder may use folders of lower layers only: never one above, never one beside it.
/// So there is no cycle, and a newcomer can read the request's path from the tree. The layering and the
/// reasons for it are in docs/adr/0003-stages-and-layering.md; this list is the executable copy.
/// </summary>
public sealed class LayeringTests
{
    /// <summary>Top to bottom. Folders in one row are peers: they may not use each other.</summary>
    internal static readonly string[][] Layers =
    [
        ["Hosting"],
        ["WebConsole"],
        ["Endpoints", "Configuration"],
        ["Pipeline", "Drill", "Fleet"],
        ["Jobs", "Batches"],
        ["Auth", "Admission", "Conversations", "Governance", "Ingress", "Routing", "Dispatch", "Usage", "Observability", "Cache", "Guardrails"],
        ["Providers"],
        ["Health", "Upstream", "Storage"],
        ["Core"],
        ["Canonical"],
    ];

    private static readonly Lazy<IReadOnlyList<FolderEdge>> Edges = new(() => FolderEdges(typeof(Switchyard.Hosting.GatewayApp).Assembly));

    [Fact]
    public void EveryTopLevelFolder_IsInTheLayering()
    {
        var known = Layers.SelectMany(l => l).ToHashSet(StringComparer.Ordinal);
        var folders = typeof(Switchyard.Hosting.GatewayApp).Assembly.GetTypes()
            .Select(t => TopLevel(t.Namespace))
            .Where(f => f is not null)
            .Distinct()
            .ToList();
        var missing = folders.Where(f => !known.Contains(f!)).ToList();
        Assert.True(missing.Count == 0,
            $"Top-level folders missing from the layering (add them to {nameof(LayeringTests)}.{nameof(Layers)} and the ADR): {string.Join(", ", missing)}");
    }

    [Fact]
    public void Folders_UseOnlyLowerLayers()
    {
        var violations = Violations(Edges.Value, Layers);
        Assert.True(violations.Count == 0,
            "Layering violations (a folder uses one above or beside it):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void SourceFiles_ImportOnlyLowerLayers()
    {
        // The compiled check above ignores a using directive nothing uses; a reader of the source does not, and an
        // unused import upward is where the next real use starts. So the directives obey the same layers.
        var root = Path.Combine(MethodLengthTests.RepoRoot(), "src", "Switchyard.Gateway");
        var edges = new List<FolderEdge>();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file);
            var from = relative.Split(Path.DirectorySeparatorChar)[0];
            if (from is "bin" or "obj" || !relative.Contains(Path.DirectorySeparatorChar))
            {
                continue;
            }

            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(
                         File.ReadAllText(file), @"^using (?:static )?Switchyard\.([A-Za-z]+)[.;]", System.Text.RegularExpressions.RegexOptions.Multiline))
            {
                var to = m.Groups[1].Value;
                if (to != from)
                {
                    edges.Add(new FolderEdge(from, to, relative, "using Switchyard." + to));
                }
            }
        }

        var violations = Violations(edges, Layers);
        Assert.True(violations.Count == 0, "Using directives across layers (a folder imports one above or beside it):\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Violations_NameAReintroducedCycle()
    {
        // The check itself must be able to fail: an edge upward (Core → Dispatch) and one sideways
        // (Routing → Auth) are both reported, each with the types that make it.
        var edges = new List<FolderEdge>
        {
            new("Core", "Dispatch", "Switchyard.Core.GatewayContext", "Switchyard.Dispatch.Dispatcher"),
            new("Routing", "Auth", "Switchyard.Routing.RouteTable", "Switchyard.Auth.KeyAuthenticator"),
            new("Dispatch", "Core", "Switchyard.Dispatch.Dispatcher", "Switchyard.Core.GatewayContext"),
        };
        var violations = Violations(edges, Layers);
        Assert.Equal(2, violations.Count);
        Assert.Contains(violations, v => v.Contains("Core → Dispatch", StringComparison.Ordinal) && v.Contains("GatewayContext", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.Contains("Routing → Auth", StringComparison.Ordinal) && v.Contains("KeyAuthenticator", StringComparison.Ordinal));
    }

    internal sealed record FolderEdge(string From, string To, string FromType, string ToType);

    internal static List<string> Violations(IEnumerable<FolderEdge> edges, string[][] layers)
    {
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < layers.Length; i++)
        {
            foreach (var folder in layers[i])
            {
                rank[folder] = i; // 0 = top
            }
        }

        return edges
            .Where(e => rank.TryGetValue(e.From, out var from) && rank.TryGetValue(e.To, out var to) && to <= from)
            .GroupBy(e => (e.From, e.To))
            .Select(g => $"{g.Key.From} → {g.Key.To}: " + string.Join("; ", g.Take(5).Select(e => $"{e.FromType} uses {e.ToType}"))
                         + (g.Count() > 5 ? $" (+{g.Count() - 5} more)" : ""))
            .OrderBy(s => s, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Every use of a type in another top-level folder (signatures, fields, bodies, attributes, generics).</summary>
    private static IReadOnlyList<FolderEdge> FolderEdges(System.Reflection.Assembly assembly)
    {
        var architecture = new ArchLoader().LoadAssemblies(assembly).Build();
        var edges = new List<FolderEdge>();
        var jsonContexts = JsonContexts(assembly);
        foreach (var type in architecture.Types)
        {
            var from = TopLevel(type.Namespace?.FullName);
            if (from is null)
            {
                continue;
            }

            foreach (var dependency in type.Dependencies)
            {
                var to = TopLevel(dependency.Target?.Namespace?.FullName);
                if (to is not null && to != from && !IsGeneratedJsonCrossTalk(type.FullName, dependency.Target!.FullName, jsonContexts))
                {
                    edges.Add(new FolderEdge(from, to, Outer(type.FullName), Outer(dependency.Target!.FullName)));
                }
            }
        }

        return edges.DistinctBy(e => (e.From, e.To, e.FromType, e.ToType)).ToList();
    }

    /// <summary>The assembly's System.Text.Json source-generated contexts (Usage's records, Core's price lists).</summary>
    private static HashSet<string> JsonContexts(System.Reflection.Assembly assembly) =>
        assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(System.Text.Json.Serialization.JsonSerializerContext)))
            .Select(t => t.FullName!).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Every source-generated JSON context declares the same private generic helpers
    /// (<c>TryGetTypeInfoForRuntimeCustomConverter&lt;T&gt;</c>), and ArchUnitNET resolves a call to one context's helper
    /// to another context of the assembly: an edge from one generated context to another is that mix-up, not a use.
    /// </summary>
    private static bool IsGeneratedJsonCrossTalk(string fromType, string target, HashSet<string> contexts) =>
        contexts.Contains(Outer(fromType)) && contexts.Any(c => c != Outer(fromType) && target.Contains(c, StringComparison.Ordinal));

    /// <summary><c>Switchyard.Routing.Health</c> → <c>Routing</c>; null outside the gateway's namespaces.</summary>
    private static string? TopLevel(string? ns)
    {
        if (ns is null || !ns.StartsWith("Switchyard.", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = ns["Switchyard.".Length..];
        var dot = rest.IndexOf('.');
        return dot < 0 ? rest : rest[..dot];
    }

    /// <summary>Compiler-made nested types (<c>Outer+&lt;Run&gt;d__3</c>) are reported as their declaring type.</summary>
    private static string Outer(string fullName)
    {
        var plus = fullName.IndexOf('+');
        return plus < 0 ? fullName : fullName[..plus];
    }
}
