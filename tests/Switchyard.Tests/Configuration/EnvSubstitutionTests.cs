using Switchyard.Configuration;
using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

public sealed class EnvSubstitutionTests
{
    [Fact]
    public void LoadYaml_VariableInValue_IsSubstituted()
    {
        var config = LoadValid("server: { data_dir: \"${HOME_DIR}/switchyard\" }\n", Env(("HOME_DIR", "/srv")));

        Assert.Equal("/srv/switchyard", config.Server.DataDirectory);
    }

    [Fact]
    public void LoadYaml_UnsetVariableWithDefault_UsesDefault()
    {
        var config = LoadValid("server: { max_body_size: \"${BODY_LIMIT:-1MiB}\" }\n");

        Assert.Equal(1024 * 1024, config.Server.MaxRequestBodyBytes);
    }

    [Fact]
    public void LoadYaml_EmptyVariableWithDefault_UsesDefault()
    {
        var config = LoadValid("server: { data_dir: \"${DATA:-fallback}\" }\n", Env(("DATA", "")));

        Assert.Equal("fallback", config.Server.DataDirectory);
    }

    [Fact]
    public void LoadYaml_UnsetVariableWithoutDefault_ReportsVariableAndPath()
    {
        var message = SingleErrorAt("""
            providers:
              groq:
                base_url: ${GROQ_PROXY}/openai/v1
            """, "providers.groq.base_url");

        Assert.Equal("environment variable 'GROQ_PROXY' is not set (write ${GROQ_PROXY:-default} to give a default)", message);
    }

    [Fact]
    public void LoadYaml_EscapedReference_StaysLiteral()
    {
        var config = LoadValid("server: { data_dir: \"$${NOT_A_VAR}/x\" }\n");

        Assert.Equal("${NOT_A_VAR}/x", config.Server.DataDirectory);
    }

    [Fact]
    public void LoadYaml_SubstitutedValue_IsNotParsedAsYaml()
    {
        // The value lands as a plain string; it cannot inject keys or structure.
        var config = LoadValid("server: { data_dir: \"${TRICKY}\" }\n", Env(("TRICKY", "a\nmodels: { x: y }")));

        Assert.Equal("a\nmodels: { x: y }", config.Server.DataDirectory);
        Assert.Single(config.Models);
    }

    [Theory]
    [InlineData("${1BAD}", "invalid variable reference '${1BAD}'")]
    [InlineData("${UNCLOSED", "unterminated '${'")]
    public void LoadYaml_MalformedReference_IsError(string value, string expectedStart)
    {
        var message = SingleErrorAt($"server: {{ data_dir: \"{value}\" }}\n", "server.data_dir");

        Assert.StartsWith(expectedStart, message);
    }

    [Fact]
    public void LoadYaml_SubstitutionInNumber_IsParsedAfterExpansion()
    {
        var config = LoadValid("models:\n  m: { deployments: [switchyard-echo], max_attempts: \"${ATTEMPTS}\" }\n", Env(("ATTEMPTS", "7")));

        Assert.Equal(7, config.Models["m"].Policy.MaxAttempts);
    }

    [Fact]
    public void LoadYaml_LoneDollar_IsKept()
    {
        var config = LoadValid("server: { data_dir: \"cost$5/$HOME\" }\n");

        Assert.Equal("cost$5/$HOME", config.Server.DataDirectory);
    }
}
