using Switchyard.Configuration;
using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

public sealed class AuthConfigTests
{
    [Fact]
    public void LoadYaml_MasterKeyFromDefaultEnv_IsHashed()
    {
        var config = LoadValid("", Env(("SWITCHYARD_MASTER_KEY", "sk-master")));

        Assert.Equal(AuthSettings.DefaultMasterKeyEnv, config.Auth.MasterKeyEnv);
        Assert.Equal(KeyHasher.Hash("sk-master"), config.Auth.MasterKeyHash);
    }

    [Fact]
    public void LoadYaml_MasterKeyEnvEmpty_LeavesNoMasterKey()
    {
        var config = LoadValid("", Env(("SWITCHYARD_MASTER_KEY", "")));

        Assert.Null(config.Auth.MasterKeyHash);
        Assert.True(config.Auth.IsOpen);
    }

    [Fact]
    public void LoadYaml_HashWithBadHex_IsError()
    {
        var message = SingleErrorAt("""
            auth:
              keys:
                - id: a
                  hash: sha256:zz86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
            """, "auth.keys[0].hash");

        Assert.Equal("must be 'sha256:' followed by exactly 64 hex digits (got 64 characters, not all hex)", message);
    }

    [Theory]
    [InlineData("sha256:abcd")]
    [InlineData("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    [InlineData("md5:9f86d081884c7d659a2feaa0c55ad015")]
    public void LoadYaml_MalformedHash_IsError(string hash)
    {
        var message = SingleErrorAt($"auth:\n  keys:\n    - {{ id: a, hash: \"{hash}\" }}\n", "auth.keys[0].hash");

        Assert.StartsWith("must be 'sha256:' followed by", message);
    }

    [Fact]
    public void LoadYaml_KeyEnvUnset_IsError()
    {
        Assert.Equal("environment variable TEAM_KEY is not set",
            SingleErrorAt("auth:\n  keys:\n    - { id: team, key_env: TEAM_KEY }\n", "auth.keys[0].key_env"));
    }

    [Fact]
    public void LoadYaml_KeyEntryProblems_AreAllReported()
    {
        var errors = LoadErrors($$"""
            auth:
              master_key_env: "bad name"
              keys:
                - { id: a, hash: {{HashHex("one")}}, key_env: A }
                - { hash: {{HashHex("two")}} }
                - { id: master, hash: {{HashHex("three")}} }
                - { id: b, hash: {{HashHex("four")}} }
                - { id: b, hash: {{HashHex("five")}} }
                - { id: c, hash: {{HashHex("four")}} }
                - { id: d }
            """);

        Assert.Equal(
        [
            "auth.master_key_env: 'bad name' is not a valid environment variable name (letters, digits and '_')",
            "auth.keys[0]: set either 'hash' or 'key_env', not both",
            "auth.keys[1].id: is required",
            "auth.keys[2].id: 'master' is reserved; choose another id",
            "auth.keys[4].id: duplicate key id 'b' (also at auth.keys[3])",
            "auth.keys[5]: key 'c' has the same secret as key 'b'",
            "auth.keys[6]: set 'hash' (sha256:<64 hex digits>) or 'key_env' (an environment variable holding the key)",
        ], errors);
    }

    [Fact]
    public void LoadYaml_KeyErrors_NeverContainKeyValues()
    {
        var result = ConfigLoader.LoadYaml("""
            auth:
              keys:
                - { id: a, key_env: A_KEY }
                - { id: b, key_env: B_KEY }
            """, "test.yaml", Env(("A_KEY", "secret-value-123"), ("B_KEY", "secret-value-123")));

        var error = Assert.Single(result.Errors);
        Assert.DoesNotContain("secret-value", error.ToString());
    }
}
