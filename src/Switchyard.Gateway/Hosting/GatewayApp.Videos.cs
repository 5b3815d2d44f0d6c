using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Switchyard.Jobs;

namespace Switchyard.Hosting;

/// <summary>Video jobs (docs/adr/0017-beyond-chat.md, "Video jobs"), on the gateway's <see cref="IUpstreamObjectStore"/>.</summary>
public sealed partial class GatewayApp
{
    /// <summary>
    /// The job intake Dispatch hands an accepted create to, the follow-up calls' services, the budget reservations kept
    /// from a create to its job's completion, and the background poller that settles jobs no client asks about again.
    /// </summary>
    private static void AddVideoJobs(IServiceCollection services)
    {
        services.AddSingleton<Governance.JobReservations>();
        services.AddSingleton<VideoJobs>();
        services.AddSingleton<IJobIntake>(sp => sp.GetRequiredService<VideoJobs>());
        services.AddSingleton<VideoUpstream>();
        services.AddSingleton<VideoSettlement>();
        services.AddSingleton<VideoPoller>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<VideoPoller>());
    }
}
