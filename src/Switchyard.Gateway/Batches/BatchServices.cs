using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Switchyard.Batches;

/// <summary>
/// The files and batches feature in one place: its services (registered by Hosting), its URLs (mapped by Endpoints)
/// and the methods each allows (for the gateway's 405 answers).
/// </summary>
public static class BatchServices
{
    /// <summary>Every path of the feature and the methods it takes.</summary>
    public static IReadOnlyList<(string Path, string Allow)> Paths { get; } =
    [
        ("/v1/files", "GET, POST"), ("/v1/files/{id}", "GET, DELETE"), ("/v1/files/{id}/content", "GET"),
        ("/v1/batches", "GET, POST"), ("/v1/batches/{id}", "GET"), ("/v1/batches/{id}/cancel", "POST"),
    ];

    /// <summary>Registers the services and the poller (one per replica).</summary>
    public static void Add(IServiceCollection services)
    {
        services.AddSingleton<ProviderObjects>();
        services.AddSingleton<BatchBudgets>();
        services.AddSingleton<BatchSettlement>();
        services.AddSingleton<BatchTracker>();
        services.AddSingleton<FilesApi>();
        services.AddSingleton<BatchesApi>();
        services.AddSingleton<BatchPoller>();
        services.AddHostedService(sp => sp.GetRequiredService<BatchPoller>());
    }

    /// <summary>Maps the endpoints.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        var files = app.ServiceProvider.GetRequiredService<FilesApi>();
        var batches = app.ServiceProvider.GetRequiredService<BatchesApi>();
        app.MapPost("/v1/files", files.UploadAsync);
        app.MapGet("/v1/files", files.ListAsync);
        app.MapGet("/v1/files/{id}", files.GetAsync);
        app.MapDelete("/v1/files/{id}", files.DeleteAsync);
        app.MapGet("/v1/files/{id}/content", files.ContentAsync);
        app.MapPost("/v1/batches", batches.CreateAsync);
        app.MapGet("/v1/batches", batches.ListAsync);
        app.MapGet("/v1/batches/{id}", batches.GetAsync);
        app.MapPost("/v1/batches/{id}/cancel", batches.CancelAsync);
    }
}
