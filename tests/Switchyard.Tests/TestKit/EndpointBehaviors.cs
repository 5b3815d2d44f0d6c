using System.Buffers.Binary;
using System.Text.Json.Nodes;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// A successful <c>POST /v1/embeddings</c> answer: one deterministic, unit-length vector per input (same text, same
/// vector). Honours the request's <c>dimensions</c> and <c>encoding_format</c> (<c>"base64"</c> = little-endian float32,
/// which the official SDKs request by default). A request without <c>input</c> gets OpenAI's 400.
/// </summary>
public sealed record EmbeddingsBehavior : UpstreamBehavior
{
    /// <summary>Vector length used when the request does not ask for <c>dimensions</c>.</summary>
    public const int DefaultDimensions = 8;

    /// <summary>Vector length used when the request does not ask for <c>dimensions</c>.</summary>
    public int Dimensions { get; init; } = DefaultDimensions;

    /// <summary><c>usage.prompt_tokens</c> = inputs × this.</summary>
    public int TokensPerInput { get; init; } = 4;

    /// <summary>The <c>model</c> reported back; null echoes the requested model.</summary>
    public string? ResponseModel { get; init; }

    /// <summary>
    /// Scripted vectors, text → vector, returned as given (not normalized), so a test sets similarities exactly. When set,
    /// the fake is strict: an input not in the map gets OpenAI's 400, so a test learns of any text it did not expect.
    /// </summary>
    public IReadOnlyDictionary<string, float[]>? Vectors { get; init; }

    internal override bool Supports(UpstreamEndpoint endpoint) => endpoint == UpstreamEndpoint.Embeddings;

    internal override Task ExecuteAsync(BehaviorContext context)
    {
        var request = context.Request.Json as JsonObject;
        var inputs = ReadInputs(request?["input"]);
        if (inputs is null)
        {
            var error = OpenAIWire.Error("'input' is a required property", "invalid_request_error", "input", null);
            return context.WriteJsonAsync(400, OpenAIWire.Serialize(error));
        }

        if (Strictly(request, inputs) is { } refusal)
        {
            return context.WriteJsonAsync(400, OpenAIWire.Serialize(OpenAIWire.Error(refusal, "invalid_request_error", null, null)));
        }

        var dimensions = request?["dimensions"] is JsonValue d && d.TryGetValue<int>(out var asked) && asked > 0 ? asked : Dimensions;
        var base64 = request?["encoding_format"] is JsonValue f && f.TryGetValue<string>(out var format) && format == "base64";
        var embeddings = inputs.Select(input => Encode(Vectors?[input] ?? Vector(input, dimensions), base64));
        var body = OpenAIWire.EmbeddingList(embeddings, ResponseModel ?? context.Request.Model ?? "unknown-model", inputs.Count * TokensPerInput);
        return context.WriteJsonAsync(200, OpenAIWire.Serialize(body));
    }

    /// <summary>
    /// OpenAI's checks: <c>model</c> a string, <c>encoding_format</c> <c>float</c> or <c>base64</c>; with
    /// <see cref="Vectors"/> (strict), no unknown member and every input scripted. The refusal's message, or null.
    /// </summary>
    private string? Strictly(JsonObject? request, List<string> inputs)
    {
        if (request?["model"] is not JsonValue model || !model.TryGetValue<string>(out _))
        {
            return "'model' is a required property";
        }

        if (request["encoding_format"] is JsonValue f && !(f.TryGetValue<string>(out var format) && format is "float" or "base64"))
        {
            return "'encoding_format' must be one of 'float', 'base64'";
        }

        foreach (var (name, _) in request)
        {
            if (Vectors is not null && name is not ("model" or "input" or "encoding_format" or "dimensions" or "user"))
            {
                return $"Unrecognized request argument supplied: {name}";
            }
        }

        return Vectors is { } map && inputs.FirstOrDefault(i => !map.ContainsKey(i)) is { } unknown ? $"no vector scripted for input '{unknown}'" : null;
    }

    /// <summary>
    /// <c>input</c> is a string, an array of strings, one token array (array of numbers) or an array of token arrays.
    /// Token arrays are keyed by their JSON text so equal inputs still get equal vectors.
    /// </summary>
    private static List<string>? ReadInputs(JsonNode? input)
    {
        switch (input)
        {
            case JsonValue single when single.TryGetValue<string>(out var text):
                return [text];
            case JsonArray array when array.Count > 0 && array[0] is JsonValue first && first.GetValueKind() == System.Text.Json.JsonValueKind.Number:
                return [array.ToJsonString()];
            case JsonArray array:
                return array.Select(item => item is JsonValue v && v.TryGetValue<string>(out var s) ? s : item?.ToJsonString() ?? "").ToList();
            default:
                return null;
        }
    }

    private static float[] Vector(string input, int dimensions)
    {
        // FNV-1a seed + xorshift: cheap, stable across runs and platforms (string.GetHashCode is randomized per process).
        var state = 2166136261u;
        foreach (var c in input)
        {
            state = (state ^ c) * 16777619u;
        }

        var vector = new float[dimensions];
        double norm = 0;
        for (var i = 0; i < dimensions; i++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            vector[i] = (state / (float)uint.MaxValue) * 2f - 1f;
            norm += vector[i] * vector[i];
        }

        var scale = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0f;
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] *= scale;
        }

        return vector;
    }

    private static JsonNode Encode(float[] vector, bool base64)
    {
        if (!base64)
        {
            return new JsonArray(vector.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        }

        var bytes = new byte[vector.Length * sizeof(float)];
        for (var i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
        }

        return JsonValue.Create(Convert.ToBase64String(bytes));
    }
}

/// <summary>A <c>GET /v1/models</c> answer: <c>{"object":"list","data":[{"id","object":"model","created","owned_by"}]}</c>.</summary>
/// <param name="Ids">The model ids to list.</param>
public sealed record ModelsBehavior(IReadOnlyList<string> Ids) : UpstreamBehavior
{
    /// <summary>A fixed <c>created</c> timestamp; real values are per-model release dates, not "now".</summary>
    private const long Created = 1_700_000_000;

    internal override bool Supports(UpstreamEndpoint endpoint) => endpoint == UpstreamEndpoint.Models;

    internal override Task ExecuteAsync(BehaviorContext context) =>
        context.WriteJsonAsync(200, OpenAIWire.Serialize(OpenAIWire.ModelList(Ids, Created)));
}
