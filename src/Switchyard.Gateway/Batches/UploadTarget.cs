using Microsoft.Extensions.Primitives;

namespace Switchyard.Batches;

/// <summary>
/// Where an uploaded file goes and what is sent there: the deployment chosen (or the refusal), the alias it was chosen
/// by, and for a batch input file the rewritten copy (a second spool file, written line by line: the models replaced by
/// the deployment's). Disposing it deletes that copy; the upload's own spool belongs to its form.
/// </summary>
internal sealed class UploadTarget : IDisposable
{
    private string? rewritten;
    private long rewrittenLength;

    private UploadTarget(DeploymentTarget? deployment, string? alias, ClientError? error)
    {
        Deployment = deployment;
        Alias = alias;
        Error = error;
    }

    /// <summary>The deployment that will hold the file; null when refused.</summary>
    public DeploymentTarget? Deployment { get; }

    /// <summary>The alias it was chosen by.</summary>
    public string? Alias { get; }

    /// <summary>The refusal to answer, or null.</summary>
    public ClientError? Error { get; }

    /// <summary>
    /// A batch input file: read from its spool line by line (<see cref="BatchInput"/>), checked, and written again with
    /// the chosen deployment's model.
    /// </summary>
    public static async Task<UploadTarget> ForBatchAsync(UploadedFile file, Func<string, (DeploymentTarget?, ClientError?)> resolve, CancellationToken ct)
    {
        var path = file.Path + ".batch";
        BatchInputResult result;
        try
        {
            await using var source = file.Open();
            await using (var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
            {
                result = await BatchInput.RewriteAsync(source, target, resolve, ct).ConfigureAwait(false);
            }
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        var upload = new UploadTarget(result.Deployment, result.Alias, result.Error) { rewritten = path, rewrittenLength = new FileInfo(path).Length };
        return upload;
    }

    /// <summary>A file of another purpose: the alias named in <c>x-switchyard-model</c> decides (400 without it).</summary>
    public static UploadTarget ForHeader(StringValues header, Func<string, (DeploymentTarget? Deployment, ClientError? Error)> resolve)
    {
        if (header.Count != 1 || string.IsNullOrEmpty(header[0]))
        {
            return new UploadTarget(null, null, new ClientError(400, ErrorCategory.InvalidRequest,
                $"A file of a purpose other than 'batch' has no model to route it by: name the model whose provider should keep it in the {BatchTargets.ModelHeader} header.",
                BatchTargets.ModelHeader, "missing_required_parameter"));
        }

        var (deployment, error) = resolve(header[0]!);
        return new UploadTarget(deployment, header[0], error);
    }

    /// <summary>The bytes to send for <paramref name="file"/>: the rewritten copy when there is one.</summary>
    public Stream Open(UploadedFile file) => rewritten is null ? file.Open()
        : new FileStream(rewritten, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, FileOptions.SequentialScan);

    /// <summary>Their length.</summary>
    public long Length(UploadedFile file) => rewritten is null ? file.Length : rewrittenLength;

    /// <summary>Deletes the rewritten copy.</summary>
    public void Dispose()
    {
        if (rewritten is not null)
        {
            try
            {
                File.Delete(rewritten);
            }
            catch (IOException)
            {
            }
        }
    }
}
