using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

/// <summary>The <c>storage:</c> section: SQLite by default, PostgreSQL through a connection string held in the environment.</summary>
public sealed class StorageConfigTests
{
    private const string Secret = "Host=db.internal;Username=gw;Password=hunter2-secret;Database=switchyard";

    [Fact]
    public void LoadYaml_NoStorageSection_IsSqlite()
    {
        var config = LoadValid("models: {}\n");

        Assert.Equal(StorageSettings.Default, config.Storage);
        Assert.Equal(StorageKind.Sqlite, config.Storage.Kind);
        Assert.Equal("sqlite", config.Storage.KindName);
    }

    [Fact]
    public void LoadYaml_Postgres_ReadsTheConnectionStringFromTheNamedVariable()
    {
        var config = LoadValid("""
            storage:
              kind: postgres
              connection_string_env: SWITCHYARD_DB
            """, Env(("SWITCHYARD_DB", Secret)));

        Assert.Equal(StorageKind.Postgres, config.Storage.Kind);
        Assert.Equal("SWITCHYARD_DB", config.Storage.ConnectionStringEnv);
        Assert.Equal(Secret, config.Storage.ConnectionString);
        Assert.DoesNotContain("hunter2", config.Storage.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void LoadYaml_BadStorageValues_AreEachReportedWithTheirPath()
    {
        Assert.Equal(
            ["storage.url: unknown key", "storage.kind: unknown value 'postgress' (did you mean 'postgres'?); use sqlite or postgres"],
            LoadErrors("storage: { kind: postgress, url: x }\n"));
        Assert.Equal(
            "required with kind: postgres (the name of the environment variable holding the connection string)",
            SingleErrorAt("storage: { kind: postgres }\n", "storage.connection_string_env"));
        Assert.Equal(
            "environment variable SWITCHYARD_DB is not set",
            SingleErrorAt("storage: { kind: postgres, connection_string_env: SWITCHYARD_DB }\n", "storage.connection_string_env"));
        Assert.Equal(
            "only storage.kind: postgres reads a connection string; remove it or set kind: postgres",
            SingleErrorAt("storage: { kind: sqlite, connection_string_env: SWITCHYARD_DB }\n", "storage.connection_string_env"));
    }

    [Theory]
    [InlineData("Host=h;Password=hunter2-secret;Bogus Key=1")]
    [InlineData("Password=hunter2-secret;Database=x")]
    public void LoadYaml_MalformedConnectionString_IsRefusedWithoutEchoingIt(string value)
    {
        var error = SingleErrorAt("storage: { kind: postgres, connection_string_env: SWITCHYARD_DB }\n", "storage.connection_string_env",
            Env(("SWITCHYARD_DB", value)));

        Assert.Contains("SWITCHYARD_DB", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }
}
