using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace Switchyard.Batches;

/// <summary>What reading a batch input file gave: the alias every line named and the deployment chosen, or the refusal.</summary>
/// <param name="Alias">The model every line named.</param>
/// <param name="Deployment">The deployment that will hold the file and run the batch.</param>
/// <param name="Lines">Requests in the file.</param>
/// <param name="Error">The refusal (400 naming the line, 403/404 for the model), else null.</param>
public sealed record BatchInputResult(string? Alias, DeploymentTarget? Deployment, long Lines, ClientError? Error);

/// <summary>
/// A batch input file (<c>purpose=batch</c>, OpenAI's JSONL: one <c>{"custom_id", "method", "url", "body"}</c> request a
/// line) read line by line from its spool and written again with each <c>body.model</c> replaced by the chosen
/// deployment's upstream model, so the provider runs the model the alias stands for. Checked per line, each refusal a
/// 400 naming the line: valid JSON, a non-empty <c>custom_id</c>, <c>method</c> POST, one <c>url</c> OpenAI batches serve
/// (the same on every line), a <c>body</c> object with a <c>model</c> string, the same model on every line, no other field.
/// A line is held at most <see cref="MaxLineBytes"/>; the file is never held whole.
/// </summary>
public static class BatchInput
{
    /// <summary>The longest line taken (a chat request with an inline image is a few MiB; 8 MiB is well above).</summary>
    public const int MaxLineBytes = 8 * 1024 * 1024;

    /// <summary>The endpoints a batch line may call (OpenAI's batch guide: chat completions, responses, embeddings, completions, moderations).</summary>
    public static readonly IReadOnlyList<string> Urls = ["/v1/chat/completions", "/v1/responses", "/v1/embeddings", "/v1/completions", "/v1/moderations"];

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="target"/> line by line, checking each line and rewriting its
    /// model. <paramref name="resolve"/> turns the first line's model into the deployment (or the refusal to answer).
    /// </summary>
    public static async Task<BatchInputResult> RewriteAsync(Stream source, Stream target,
        Func<string, (DeploymentTarget? Deployment, ClientError? Error)> resolve, CancellationToken ct)
    {
        var reader = PipeReader.Create(source, new StreamPipeReaderOptions(bufferSize: 64 * 1024));
        var state = new State(resolve);
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(ct).ConfigureAwait(false);
                var buffer = read.Buffer;
                while (TryLine(ref buffer, out var line))
                {
                    if (await state.LineAsync(line, target, ct).ConfigureAwait(false) is { } error)
                    {
                        return new BatchInputResult(null, null, state.Count, error);
                    }
                }

                if (read.IsCompleted)
                {
                    var rest = buffer.Length > 0 ? await state.LineAsync(buffer, target, ct).ConfigureAwait(false) : null;
                    return rest is not null || state.Count == 0
                        ? new BatchInputResult(null, null, state.Count, rest ?? Invalid("The batch input file has no requests."))
                        : new BatchInputResult(state.Model, state.Deployment, state.Count, null);
                }

                if (buffer.Length > MaxLineBytes)
                {
                    return new BatchInputResult(null, null, state.Count, Invalid($"Line {state.Number + 1} is longer than {MaxLineBytes} bytes."));
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static bool TryLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        if (buffer.PositionOf((byte)'\n') is not { } end)
        {
            line = default;
            return false;
        }

        line = buffer.Slice(0, end);
        buffer = buffer.Slice(buffer.GetPosition(1, end));
        return true;
    }

    internal static ClientError Invalid(string message) => new(400, ErrorCategory.InvalidRequest, message, "file", "invalid_batch_input");

    /// <summary>The reading so far: the line number, the first line's model and url, the chosen deployment.</summary>
    private sealed class State(Func<string, (DeploymentTarget? Deployment, ClientError? Error)> resolve)
    {
        public int Number;
        public long Count;
        public string? Model;
        public string? Url;
        public DeploymentTarget? Deployment;

        /// <summary>Checks and writes one line (blank lines are left out); the refusal, or null.</summary>
        public async ValueTask<ClientError?> LineAsync(ReadOnlySequence<byte> sequence, Stream target, CancellationToken ct)
        {
            Number++;
            if (sequence.Length > MaxLineBytes)
            {
                return Invalid($"Line {Number} is longer than {MaxLineBytes} bytes.");
            }

            var length = (int)sequence.Length;
            var bytes = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
            try
            {
                sequence.CopyTo(bytes);
                var span = bytes.AsSpan(0, length).TrimEnd((byte)'\r');
                if (span.Trim(" \t"u8).IsEmpty)
                {
                    return null;
                }

                if (Check(span, out var model) is { } refused)
                {
                    return refused;
                }

                if (Choose(model.Name) is { } unusable)
                {
                    return unusable;
                }

                Count++;
                await WriteAsync(target, bytes, span.Length, model, ct).ConfigureAwait(false);
                return null;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }

        /// <summary>The line with the upstream model spliced where the alias was, and a newline.</summary>
        private async ValueTask WriteAsync(Stream target, byte[] bytes, int length, ModelToken model, CancellationToken ct)
        {
            await target.WriteAsync(bytes.AsMemory(0, model.Start), ct).ConfigureAwait(false);
            await target.WriteAsync(Deployment!.EncodedModel, ct).ConfigureAwait(false);
            var after = model.Start + model.Length;
            await target.WriteAsync(bytes.AsMemory(after, length - after), ct).ConfigureAwait(false);
            target.WriteByte((byte)'\n');
        }

        /// <summary>The first line's model picks the deployment; every later line must name the same.</summary>
        private ClientError? Choose(string model)
        {
            if (Model is null)
            {
                var (deployment, error) = resolve(model);
                if (error is not null)
                {
                    return error.Value with { Message = $"Line {Number}: {error.Value.Message}" };
                }

                (Model, Deployment) = (model, deployment);
                return null;
            }

            return model == Model ? null
                : Invalid($"Line {Number}: 'body.model' is '{model}', but line 1 names '{Model}'; every request of a batch must use the same model.");
        }

        private ClientError? Check(ReadOnlySpan<byte> line, out ModelToken model)
        {
            model = default;
            try
            {
                return BatchLine.Read(line, Number, ref Url, out model);
            }
            catch (JsonException ex)
            {
                return Invalid($"Line {Number} is not valid JSON: {ex.Message}");
            }
        }
    }
}

/// <summary>Where the model string sits in a line (its opening quote to its closing one) and its value.</summary>
internal readonly record struct ModelToken(int Start, int Length, string Name);
