using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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
        services.AddSingleton<ObjectCallStage>();
        services.AddSingleton<BatchPoller>();
        services.AddHostedService(sp => sp.GetRequiredService<BatchPoller>());
    }

    /// <summary>
    /// Maps the endpoints, each to <paramref name="handle"/> with its operation: the pipeline's object stages (the
    /// endpoints' layer maps them, since this folder sits below the pipeline), so every call is limited and recorded.
    /// </summary>
    public static void Map(IEndpointRouteBuilder app, Func<HttpContext, Operation, Task> handle)
    {
        app.MapPost("/v1/files", http => handle(http, Operation.FileUpload));
        app.MapGet("/v1/files", http => handle(http, Operation.FileList));
        app.MapGet("/v1/files/{id}", http => handle(http, Operation.FileRetrieve));
        app.MapDelete("/v1/files/{id}", http => handle(http, Operation.FileDelete));
        app.MapGet("/v1/files/{id}/content", http => handle(http, Operation.FileContent));
        app.MapPost("/v1/batches", http => handle(http, Operation.BatchCreate));
        app.MapGet("/v1/batches", http => handle(http, Operation.BatchList));
        app.MapGet("/v1/batches/{id}", http => handle(http, Operation.BatchRetrieve));
        app.MapPost("/v1/batches/{id}/cancel", http => handle(http, Operation.BatchCancel));
    }
}
