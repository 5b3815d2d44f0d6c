using System.Collections.Concurrent;
using System.Collections.Frozen;
using Switchyard.Providers;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// The model catalog of one provider folder (<c>Providers/NAME/models.yaml</c>, embedded in the binary): what
/// each model accepts, with the documentation it was read from and the date it was checked. Entries are tried
/// in file order and the first whose <c>match</c> pattern fits the upstream model id wins, so specific entries
/// come before a family's catch-all. <c>families</c> hold the fields several entries share; <c>include</c> appends
/// another folder's entries (Vertex serves Claude and Gemini under the same model ids as their own APIs).
/// </summary>
internal sealed class ModelCatalog
{
    private static readonly FrozenSet<string> FileKeys = FrozenSet.Create(StringComparer.Ordinal, "source", "checked", "families", "models", "include");

    private static readonly FrozenSet<string> EntryKeys = FrozenSet.Create(StringComparer.Ordinal,
        [.. ModelEntryBinder.FieldNames, "id", "match", "family"]);

    private static readonly ConcurrentDictionary<string, ModelCatalog> Shipped = new(StringComparer.Ordinal);

    private readonly List<Entry> entries;

    private ModelCatalog(List<Entry> entries) => this.entries = entries;

    /// <summary>The entries in match order.</summary>
    public IReadOnlyList<ModelProfile> Profiles => entries.Select(e => e.Profile).ToList();

    /// <summary>An empty catalog: every model unknown.</summary>
    public static ModelCatalog Empty { get; } = new([]);

    /// <summary>The shipped catalog a provider kind reads (<see cref="ProviderDescriptor.ModelCatalog"/>), parsed once.</summary>
    public static ModelCatalog For(ProviderDescriptor? descriptor) =>
        descriptor?.ModelCatalog is { } name ? Shipped.GetOrAdd(name, Load) : Empty;

    /// <summary>The first entry matching <paramref name="upstreamModel"/>, or <see cref="ModelProfile.Unknown"/>.</summary>
    public ModelProfile Resolve(string upstreamModel)
    {
        foreach (var entry in entries)
        {
            if (entry.Patterns.Any(p => Glob(p, upstreamModel)))
            {
                return entry.Profile;
            }
        }

        return ModelProfile.Unknown;
    }

    /// <summary>The entry named <paramref name="id"/>, or null.</summary>
    public ModelProfile? Find(string id) => entries.FirstOrDefault(e => e.Profile.Id == id)?.Profile;

    /// <summary>The embedded resource name of a folder's catalog.</summary>
    public static string ResourceName(string folder) => $"catalog/{folder}/models.yaml";

    private static ModelCatalog Load(string folder)
    {
        var name = ResourceName(folder);
        using var stream = typeof(ModelCatalog).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the model catalog {name} is not embedded in this build");
        using var reader = new StreamReader(stream);
        var catalog = Parse(reader.ReadToEnd(), name, out var errors);
        return errors.Count == 0
            ? catalog
            : throw new InvalidOperationException($"the shipped model catalog {name} is invalid: " + string.Join("; ", errors));
    }

    /// <summary>Parses a catalog file; problems are returned, never thrown (the shipped-data test reads them).</summary>
    public static ModelCatalog Parse(string yaml, string source, out List<ConfigError> errors)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var ctx = new BindContext(_ => null, ProviderCatalog.Default);
        var root = ctx.Map(stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null, "", FileKeys) ?? new MapView("", []);
        var fileProfile = new ModelProfile
        {
            Source = ctx.String(root["source"], "source"),
            Checked = ctx.String(root["checked"], "checked"),
        };
        var families = Families(ctx, root, fileProfile);
        var entries = new List<Entry>();
        var list = ctx.Sequence(root["models"], "models");
        for (var i = 0; list is not null && i < list.Children.Count; i++)
        {
            if (BindEntry(ctx, list.Children[i], BindContext.Index("models", i), families, fileProfile) is { } entry)
            {
                entries.Add(entry);
            }
        }

        foreach (var folder in ModelEntryBinder.Patterns(ctx, root["include"], "include"))
        {
            entries.AddRange(Shipped.GetOrAdd(folder, Load).entries);
        }

        errors = ctx.Errors.Select(e => e with { Path = $"{source}: {e.Path}" }).ToList();
        return new ModelCatalog(entries);
    }

    private static Dictionary<string, ModelProfile> Families(BindContext ctx, MapView root, ModelProfile fileProfile)
    {
        var families = new Dictionary<string, ModelProfile>(StringComparer.Ordinal);
        foreach (var (name, node) in ctx.Entries(root["families"], "families") ?? [])
        {
            var map = ctx.Map(node, BindContext.Child("families", name), ModelEntryBinder.Fields);
            families[name] = map is null ? fileProfile : ModelEntryBinder.Apply(ctx, map, fileProfile);
        }

        return families;
    }

    private static Entry? BindEntry(BindContext ctx, YamlNode node, string path, Dictionary<string, ModelProfile> families, ModelProfile fileProfile)
    {
        if (ctx.Map(node, path, EntryKeys) is not { } map)
        {
            return null;
        }

        var id = ctx.RequiredString(map, "id");
        var patterns = ModelEntryBinder.Patterns(ctx, map["match"], map.PathOf("match"));
        if (patterns.Count == 0)
        {
            ctx.Error(map.PathOf("match"), "needs at least one model id pattern (* matches any run of characters)");
        }

        var basis = fileProfile;
        if (ctx.String(map["family"], map.PathOf("family")) is { } family && !families.TryGetValue(family, out basis))
        {
            ctx.Error(map.PathOf("family"), $"no family '{family}' in this file");
            basis = fileProfile;
        }

        return id is null ? null : new Entry(patterns, ModelEntryBinder.Apply(ctx, map, basis with { Id = id }));
    }

    /// <summary>Case-insensitive match where <c>*</c> stands for any run of characters.</summary>
    internal static bool Glob(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        var star = pattern.IndexOf('*');
        if (star < 0)
        {
            return text.Equals(pattern, StringComparison.OrdinalIgnoreCase);
        }

        if (!text.StartsWith(pattern[..star], StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var rest = pattern[(star + 1)..];
        for (var at = star; at <= text.Length; at++)
        {
            if (Glob(rest, text[at..]))
            {
                return true;
            }
        }

        return false;
    }

    private sealed record Entry(List<string> Patterns, ModelProfile Profile);
}
