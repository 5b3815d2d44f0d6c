namespace Switchyard.Batches;

/// <summary>
/// Files and batches: the last of the pipeline's object stages (docs/adr/0017-beyond-chat.md, "Files and batches"). By
/// the time it runs, the caller is authenticated (401), admitted (503 while no store takes records), its customer and
/// policy checked (KeyPolicy) and its RPM and concurrency taken (429), exactly as for a model request; so a client that
/// polls a batch in a loop spends its key's rate like any other, and Settle writes one record per call. This stage runs
/// the call itself with <see cref="GatewayContext.Caller"/> (never authenticating again). Nothing here is routed: a
/// file lives at one deployment and a batch runs where its input file is.
/// </summary>
public sealed class ObjectCallStage(FilesApi files, BatchesApi batches) : IStage
{
    /// <inheritdoc />
    public async ValueTask<bool> RunAsync(GatewayContext ctx)
    {
        if (ctx.DryRun)
        {
            return true; // explain does not cover these calls; a dry run sends nothing
        }

        await Call(ctx).ConfigureAwait(false);
        return true;
    }

    /// <summary>Counts the call's one upstream attempt at <paramref name="deployment"/>, so its record names where it went.</summary>
    public static void Attempt(GatewayContext ctx, DeploymentTarget deployment)
    {
        ctx.Final = deployment;
        Interlocked.Increment(ref ctx.AttemptCount);
    }

    private Task Call(GatewayContext ctx) => ctx.Operation switch
    {
        Operation.FileUpload => files.UploadAsync(ctx),
        Operation.FileList => files.ListAsync(ctx),
        Operation.FileRetrieve => files.GetAsync(ctx),
        Operation.FileDelete => files.DeleteAsync(ctx),
        Operation.FileContent => files.ContentAsync(ctx),
        Operation.BatchCreate => batches.CreateAsync(ctx),
        Operation.BatchList => batches.ListAsync(ctx),
        Operation.BatchRetrieve => batches.GetAsync(ctx),
        Operation.BatchCancel => batches.CancelAsync(ctx),
        _ => throw new InvalidOperationException($"{ctx.Operation} is not a files or batches call."),
    };
}
