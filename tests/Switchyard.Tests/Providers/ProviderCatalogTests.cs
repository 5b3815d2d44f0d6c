using Switchyard.Configuration;
using Switchyard.Providers;
using Switchyard.Providers.Anthropic;
using Switchyard.Providers.Echo;
using Switchyard.Providers.OpenAI;
using Switchyard.Tests.Providers.Toy;
using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Providers;

/// <summary>
/// The provider catalog: built-in kinds are what the catalog says, and a kind defined in this test project
/// (<see cref="ToyProvider"/>) is loaded and validated like a built-in one once added, and refused when not.
/// </summary>
public sealed class ProviderCatalogTests
{
    private static readonly ProviderCatalog WithToy = ProviderCatalog.Default.With(new ToyProvider());

    private const string ToyYaml = """
        providers:
          toybox:
            kind: toy
            settings: { voice: shout, prefix: "toy> " }
        deployments:
          toy-d: { provider: toybox, model: toy-1 }
        models:
          toy: toy-d
        """;

    [Fact]
    public void LoadYaml_ToyKindInExtendedCatalog_BindsKindSettingsAndDefaultBaseUrl()
    {
        var result = ConfigLoader.LoadYaml(ToyYaml, "test.yaml", Env(), WithToy);

        Assert.True(result.Errors.Count == 0, string.Join("\n", result.Errors));
        var provider = result.Config!.Providers["toybox"];
        Assert.Equal(ToyProvider.KindName, provider.Kind);
        Assert.Equal("toy", provider.Preset);
        Assert.Equal(ToyProvider.Host, provider.BaseUrl);
        Assert.Equal("shout", provider.Setting("voice"));
        Assert.Equal("toy>", provider.Setting("prefix")); // settings are trimmed like every built-in kind's
    }

    [Fact]
    public void LoadYaml_ToyKindUnknownSetting_RefusedAtItsPathWithHint()
    {
        var result = ConfigLoader.LoadYaml("providers:\n  toybox: { kind: toy, settings: { voise: shout } }\n", "test.yaml", Env(), WithToy);

        var error = Assert.Single(result.Errors);
        Assert.Equal("providers.toybox.settings.voise", error.Path);
        Assert.Equal("unknown setting 'voise' (did you mean 'voice'?); valid settings: voice, prefix", error.Message);
    }

    [Fact]
    public void LoadYaml_ToyKindInvalidSettingValue_RefusedByItsDescriptor()
    {
        var result = ConfigLoader.LoadYaml("providers:\n  toybox: { kind: toy, settings: { voice: sing } }\n", "test.yaml", Env(), WithToy);

        var error = Assert.Single(result.Errors);
        Assert.Equal(("providers.toybox.settings", "settings.voice must be normal, shout or whisper, not 'sing'"), (error.Path, error.Message));
    }

    [Fact]
    public void LoadYaml_ToyKindWithoutItsDescriptor_RefusedAsUnknownKind()
    {
        var message = SingleErrorAt(ToyYaml, "providers.toybox.kind");

        Assert.Equal("unknown kind 'toy'; valid kinds: anthropic, azure-openai, bedrock, cohere, echo, gemini, jina, openai-compatible, replicate, vertex, voyage", message);
    }

    [Fact]
    public void LoadFile_ToyKindWithoutItsDescriptor_RefusedAsUnknownKindLikeConfigValidate()
    {
        // What 'switchyard config validate FILE' runs: the built-in catalog, a file on disk.
        var path = Path.Combine(Path.GetTempPath(), $"switchyard-toy-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, ToyYaml);
        try
        {
            var refused = ConfigLoader.LoadFile(path, Env());
            var accepted = ConfigLoader.LoadFile(path, Env(), WithToy);

            Assert.Null(refused.Config);
            Assert.Contains(refused.Errors, e => e.Path == "providers.toybox.kind" && e.Message.StartsWith("unknown kind 'toy'", StringComparison.Ordinal));
            Assert.Empty(accepted.Errors);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadYaml_ToyPreset_TakesItsBaseUrlAndKeyVariable()
    {
        var config = ConfigLoader.LoadYaml("providers:\n  toy-cloud:\n", "test.yaml", Env(("TOY_API_KEY", "tk")), WithToy).Config!;

        var provider = config.Providers["toy-cloud"];
        Assert.Equal((ToyProvider.KindName, "toy-cloud", "tk"), (provider.Kind, provider.Preset, provider.ApiKey));
        Assert.Equal(ToyProvider.Host, provider.BaseUrl);
    }

    [Fact]
    public void EnvironmentDefaults_ExtendedCatalog_OffersItsPresetsWhenTheirKeyIsSet()
    {
        var without = EnvironmentDefaults.Build(Env(("TOY_API_KEY", "tk")));
        var with = EnvironmentDefaults.Build(Env(("TOY_API_KEY", "tk")), WithToy);

        Assert.DoesNotContain("toy-cloud/toy-1", without.Models.Keys);
        Assert.Equal(ToyProvider.KindName, with.Providers["toy-cloud"].Kind);
        Assert.Contains("toy-cloud/toy-1", with.Models.Keys);
        Assert.Contains("toy-cloud/toy-2", with.Models.Keys);
    }

    [Fact]
    public void With_LeavesTheOriginalCatalogUnchanged()
    {
        Assert.NotNull(WithToy.Find(ToyProvider.KindName));
        Assert.Null(ProviderCatalog.Default.Find(ToyProvider.KindName));
        Assert.DoesNotContain("toy-cloud", ProviderCatalog.Default.PresetNames);
    }

    [Fact]
    public void With_KindAlreadyRegistered_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => WithToy.With(new ToyProvider()));

        Assert.Contains("provider kind 'toy' is registered twice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_PresetNamedLikeAnotherKind_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ProviderCatalog([new OpenAICompatibleProvider(), new PresetNamedEcho(), new EchoProvider()]));

        Assert.Contains("preset 'echo' of kind 'echo-host' is named like kind 'echo'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateRegistry_Default_BuildsWhatEachDescriptorDeclares()
    {
        var services = new ProviderServices(TimeProvider.System, _ => null);
        var registry = ProviderCatalog.Default.CreateRegistry(services);

        Assert.All(ProviderCatalog.Default.KindNames, kind => Assert.NotNull(registry.Adapter(kind)));
        Assert.Equal(["azure-openai", "bedrock", "gemini", "openai-compatible"], ProviderCatalog.Default.KindNames.Where(k => registry.Embeddings(k) is not null));
        Assert.NotNull(registry.Passthrough(OpenAIChatAdapter.ProtocolName));
        Assert.NotNull(registry.Passthrough(AnthropicAdapter.ProtocolName));
        var handlers = ProviderCatalog.Default.CreateInProcessHandlers(services);
        Assert.Equal([EchoProvider.KindName], handlers.Keys);
        Assert.IsType<EchoHandler>(handlers[EchoProvider.KindName]);
    }

    /// <summary>A descriptor whose preset would make "echo" mean a preset and a kind at once.</summary>
    private sealed class PresetNamedEcho : ProviderDescriptor
    {
        public override string Kind => "echo-host";

        public override IReadOnlyList<ProviderPreset> Presets { get; } = [ProviderPreset.Hosted("echo", "https://echo.example", "ECHO_KEY", "a", "b")];

        public override IProviderAdapter CreateAdapter(ProviderServices services) => new OpenAIChatAdapter();
    }
}
