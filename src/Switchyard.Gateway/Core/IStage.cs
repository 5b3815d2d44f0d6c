namespace Switchyard.Core;

/// <summary>
/// One step of the request's path (Pipeline/GatewayPipeline lists them in order). A stage reads what earlier
/// stages put in the <see cref="GatewayContext"/>, fills its own fields, and either lets the request go on
/// (true) or answers the client itself (false: a refusal, already written). In a dry run
/// (<see cref="GatewayContext.DryRun"/>, route explain) a stage decides exactly as for real but spends
/// nothing: no upstream call, no counter, no record.
/// </summary>
public interface IStage
{
    /// <summary>Runs the stage; false when it answered the client and the request stops here.</summary>
    ValueTask<bool> RunAsync(GatewayContext ctx);
}
