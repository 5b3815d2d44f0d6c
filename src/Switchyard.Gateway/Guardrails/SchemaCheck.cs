using System.Text.Json;
using Json.Schema;

namespace Switchyard.Guardrails;

/// <summary>
/// Validates an answer against the request's <c>response_format</c> JSON schema with JsonSchema.Net (MIT, trimmable,
/// System.Text.Json only; docs/adr/0016-guardrails.md). Each request's schema is built into a registry of its own, so
/// no client schema is ever added to the library's global registry (a process-lifetime leak, and one tenant's
/// <c>$id</c> visible to another's <c>$ref</c>), and nothing is fetched: a remote <c>$ref</c> fails the validation.
/// </summary>
internal sealed class SchemaCheck(JsonElement schema)
{
    /// <summary>The most answer text kept to validate a stream at its end (larger answers fail the check, stated).</summary>
    public const int MaxText = 4 * 1024 * 1024;

    /// <summary>Null when <paramref name="text"/> is JSON that the schema accepts; else why not, in a few words.</summary>
    public string? Failure(string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            return $"the answer is not JSON ({ex.Message})";
        }

        using (document)
        {
            try
            {
                var built = JsonSchema.Build(schema, new BuildOptions { SchemaRegistry = new SchemaRegistry() }, null!);
                var result = built.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
                return result.IsValid ? null : $"the answer does not match the response_format schema{FirstError(result)}";
            }
            catch (Exception ex) when (ex is JsonException or ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException
                                           or RefResolutionException or NotSupportedException)
            {
                return $"the response_format schema could not be used to validate the answer ({ex.Message})";
            }
        }
    }

    private static string FirstError(EvaluationResults result)
    {
        foreach (var detail in result.Details ?? [])
        {
            if (detail.Errors is { Count: > 0 } errors)
            {
                foreach (var (keyword, message) in errors)
                {
                    return $" at '{detail.InstanceLocation}': {keyword}: {message}";
                }
            }
        }

        return "";
    }
}
