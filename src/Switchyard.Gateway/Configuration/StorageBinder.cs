using System.Collections.Frozen;
using Npgsql;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Binds <c>storage:</c> (docs/adr/0012-postgres-storage.md): <c>kind</c> and, for postgres, the environment
/// variable holding the connection string. The string is read and parsed here, so a missing variable or a
/// malformed string is a load error at its path, never a crash at the first request; it is never echoed.
/// </summary>
internal static class StorageBinder
{
    private static readonly FrozenSet<string> Keys = FrozenSet.Create(StringComparer.Ordinal, "kind", "connection_string_env");

    private static readonly FrozenSet<string> Kinds = FrozenSet.Create(StringComparer.Ordinal, "sqlite", "postgres");

    public static StorageSettings Bind(BindContext ctx, YamlNode? node, string path)
    {
        var map = ctx.Map(node, path, Keys);
        if (map is null)
        {
            return StorageSettings.Default;
        }

        var kindPath = map.PathOf("kind");
        var kind = ctx.String(map["kind"], kindPath)?.Trim() switch
        {
            null or "sqlite" => StorageKind.Sqlite,
            "postgres" => StorageKind.Postgres,
            var other => Unknown(ctx, kindPath, other),
        };
        var envPath = map.PathOf("connection_string_env");
        var envName = ctx.String(map["connection_string_env"], envPath)?.Trim();
        if (kind != StorageKind.Postgres)
        {
            if (envName is not null)
            {
                ctx.Error(envPath, "only storage.kind: postgres reads a connection string; remove it or set kind: postgres");
            }

            return StorageSettings.Default;
        }

        return new StorageSettings(kind, envName) { ConnectionString = ConnectionString(ctx, envPath, envName) };
    }

    private static StorageKind Unknown(BindContext ctx, string path, string value)
    {
        ctx.Error(path, $"unknown value '{value}'{Suggestions.Hint(value, Kinds)}; use sqlite or postgres");
        return StorageKind.Sqlite;
    }

    /// <summary>The variable's value, checked to parse as an Npgsql connection string; null (with an error) otherwise.</summary>
    private static string? ConnectionString(BindContext ctx, string path, string? envName)
    {
        if (string.IsNullOrEmpty(envName))
        {
            ctx.Error(path, "required with kind: postgres (the name of the environment variable holding the connection string)");
            return null;
        }

        if (ctx.Env(envName) is not { Length: > 0 } value)
        {
            ctx.Error(path, $"environment variable {envName} is not set");
            return null;
        }

        try
        {
            var parsed = new NpgsqlConnectionStringBuilder(value);
            if (string.IsNullOrEmpty(parsed.Host))
            {
                ctx.Error(path, $"the connection string in {envName} names no Host");
                return null;
            }

            return value;
        }
        catch (ArgumentException)
        {
            // The exception's message may quote the string, and the string may hold a password: not echoed.
            ctx.Error(path, $"the value of {envName} is not a valid PostgreSQL connection string (Host=...;Username=...;Password=...;Database=...)");
            return null;
        }
    }
}
