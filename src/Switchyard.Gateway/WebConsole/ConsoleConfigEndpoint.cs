using System.Text;
using Microsoft.AspNetCore.Http;
using Switchyard.Auth;
using Switchyard.Configuration;
using Switchyard.Endpoints;
using Switchyard.Providers;

namespace Switchyard.WebConsole;

/// <summary>
/// <c>GET /v1/admin/config</c> (the running configuration's view, version and load time; secrets never shown) and
/// <c>POST /v1/admin/config/validate</c> (a YAML document checked by the same loader as the file, with the gateway's
/// environment and provider kinds, and never applied: the answer lists every error with its path). Admin role.
/// </summary>
public sealed class ConsoleConfigEndpoint(Authorizer authorizer, RouterState router, ConfigLoads loads, ConfigValidation validation)
{
    /// <summary><c>GET /v1/admin/config</c>.</summary>
    public async Task GetAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is null)
        {
            return;
        }

        var config = router.Current.Config;
        await AdminHttp.JsonAsync(http, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "config");
            w.WriteString("version", ConfigView.Version(config));
            w.WriteString("loaded_at", loads.LoadedAt(config) is { } at ? at.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : null);
            w.WriteBoolean("hot_reload", validation.FromFile);
            w.WriteStartObject("config");
            ConfigView.Write(w, config);
            w.WriteEndObject();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary><c>POST /v1/admin/config/validate</c>: the body is the YAML (1 MiB at most).</summary>
    public async Task ValidateAsync(HttpContext http)
    {
        if (await AdminHttp.AuthorizeAsync(http, authorizer).ConfigureAwait(false) is null)
        {
            return;
        }

        if (await ReadTextAsync(http).ConfigureAwait(false) is not { } yaml)
        {
            await AdminHttp.ErrorAsync(http, new ClientError(413, ErrorCategory.RequestTooLarge,
                $"A config to validate may be at most {AdminHttp.MaxBodyBytes} bytes.", null, "request_too_large")).ConfigureAwait(false);
            return;
        }

        var result = ConfigLoader.LoadYaml(yaml, "submitted", validation.Environment, validation.Providers);
        await AdminHttp.JsonAsync(http, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "config.validation");
            w.WriteBoolean("valid", result.Succeeded);
            w.WriteString("version", result.Config is { } c ? ConfigView.Version(c) : null);
            w.WriteNumber("models", result.Config?.Models.Count ?? 0);
            w.WriteStartArray("errors");
            foreach (var error in result.Errors)
            {
                w.WriteStartObject();
                w.WriteString("path", error.Path);
                w.WriteString("message", error.Message);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }).ConfigureAwait(false);
    }

    private static async Task<string?> ReadTextAsync(HttpContext http)
    {
        if (http.Request.ContentLength > AdminHttp.MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > AdminHttp.MaxBodyBytes)
            {
                return null;
            }
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}

/// <summary>What validating a config needs from the running gateway: its environment and provider kinds.</summary>
/// <param name="Environment">The environment lookup the file's <c>${VAR}</c> references resolve against.</param>
/// <param name="Providers">The provider kinds a document may use.</param>
/// <param name="FromFile">Whether the running config came from a file (and hot-reloads from it).</param>
public sealed record ConfigValidation(Func<string, string?> Environment, ProviderCatalog Providers, bool FromFile);
