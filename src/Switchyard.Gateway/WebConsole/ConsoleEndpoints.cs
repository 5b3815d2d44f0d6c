using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Switchyard.Providers;
using Switchyard.Usage;

namespace Switchyard.WebConsole;

/// <summary>
/// The web console (docs/adr/0014-console.md): its files at <c>/console/</c> (no key needed to load them; every view
/// calls the admin API with the admin key the user typed, kept in the tab's sessionStorage) and the config endpoints
/// only it needs. Registered and mapped by the composition root.
/// </summary>
public static class ConsoleEndpoints
{
    /// <summary>Registers the console's services: the usage query port (on the usage records' database: SQLite or PostgreSQL), the assets, config loads.</summary>
    public static void AddConsole(this IServiceCollection services, string database, bool sqlite, Func<string, string?> environment,
        ProviderCatalog providers, bool fromFile, TimeProvider time)
    {
        // The query reads the table the usage store creates and migrates, so the store is opened first.
        services.AddSingleton<IUsageQuery>(sp =>
        {
            _ = sp.GetRequiredService<IUsageStore>();
            return sqlite ? new SqliteUsageQuery(database) : new PostgresUsageQuery(sp.GetRequiredService<Storage.Postgres.PostgresDatabase>());
        });
        services.AddSingleton(new ConsoleAssets(typeof(ConsoleAssets).Assembly));
        services.AddSingleton(new ConfigLoads(time));
        services.AddSingleton(new ConfigValidation(environment, providers, fromFile));
    }

    /// <summary>Maps <c>/console</c> and the config endpoints.</summary>
    public static void MapConsole(this IEndpointRouteBuilder app)
    {
        var assets = app.ServiceProvider.GetRequiredService<ConsoleAssets>();
        // Routing matches "/console/" here too (a trailing slash is ignored): only the bare path is redirected, so the
        // page's relative module URLs resolve under /console/.
        app.MapMethods("/console", [HttpMethods.Get, HttpMethods.Head], http =>
        {
            if (http.Request.Path.Value!.EndsWith('/'))
            {
                return assets.ServeAsync(http, "");
            }

            http.Response.Redirect("/console/");
            return Task.CompletedTask;
        });
        app.MapMethods("/console/{**path}", [HttpMethods.Get, HttpMethods.Head], http =>
            assets.ServeAsync(http, (string?)http.Request.RouteValues["path"] ?? ""));
        var config = ActivatorUtilities.CreateInstance<ConsoleConfigEndpoint>(app.ServiceProvider);
        app.MapGet("/v1/admin/config", config.GetAsync);
        app.MapPost("/v1/admin/config/validate", config.ValidateAsync);
    }
}
