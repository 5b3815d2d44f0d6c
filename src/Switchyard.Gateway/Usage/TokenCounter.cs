using Microsoft.ML.Tokenizers;

namespace Switchyard.Usage;

/// <summary>The tokenizer an estimate is counted with.</summary>
public enum TokenEncoding
{
    /// <summary><c>o200k_base</c>: GPT-4o, GPT-4.1, GPT-4.5, GPT-5, the o-series, gpt-oss.</summary>
    O200k,

    /// <summary><c>cl100k_base</c>: GPT-4, GPT-3.5, the v2/v3 embeddings; and the stated approximation for every non-OpenAI model.</summary>
    Cl100k,
}

/// <summary>
/// Counts tokens with OpenAI's published BPE vocabularies (Microsoft.ML.Tokenizers), for the usage the gateway
/// estimates when an upstream never reports it (docs/adr/0005-metering.md). Only Settle needs it, so it lives in
/// Usage. Loading a vocabulary takes ~0.7 s (o200k) and ~40 MB: <see cref="Warm"/> loads both in the background
/// at start, once per process (the library caches the parsed vocabulary; a gateway's instance wraps it), and
/// never on a request unless one needs an estimate before that finished.
/// </summary>
public sealed class TokenCounter
{
    private readonly Lazy<Tokenizer> o200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));
    private readonly Lazy<Tokenizer> cl100k = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"));

    /// <summary>Loads both vocabularies off the request path; the task completes when they are ready.</summary>
    public Task Warm() => Task.Run(() =>
    {
        _ = o200k.Value;
        _ = cl100k.Value;
    });

    /// <summary>
    /// Tokens of <paramref name="text"/> in <paramref name="encoding"/>. Should a vocabulary fail to load (a broken
    /// install; <see cref="Warm"/> logs it at start), the count falls back to one token per four characters rather
    /// than lose the record it is for.
    /// </summary>
    public int Count(string? text, TokenEncoding encoding)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        var tokenizer = encoding == TokenEncoding.O200k ? o200k : cl100k;
        try
        {
            return tokenizer.Value.CountTokens(text);
        }
        catch (Exception) when (!tokenizer.IsValueCreated)
        {
            return (text.Length + 3) / 4;
        }
    }

    /// <summary>
    /// The encoding for an upstream model name. A provider prefix (<c>openai/gpt-4o</c>, OpenRouter's style) and an
    /// Azure-style dated suffix do not matter: the family is read from the last path segment's start.
    /// </summary>
    public static TokenEncoding EncodingFor(string? model)
    {
        var name = model is null ? "" : model[(model.LastIndexOf('/') + 1)..].ToLowerInvariant();
        return name.StartsWith("gpt-4o", StringComparison.Ordinal) || name.StartsWith("chatgpt-4o", StringComparison.Ordinal)
               || name.StartsWith("gpt-4.1", StringComparison.Ordinal) || name.StartsWith("gpt-4.5", StringComparison.Ordinal)
               || name.StartsWith("gpt-5", StringComparison.Ordinal) || name.StartsWith("gpt-oss", StringComparison.Ordinal)
               || IsOSeries(name)
            ? TokenEncoding.O200k
            : TokenEncoding.Cl100k; // gpt-4, gpt-3.5, embeddings; and the approximation for Claude, Gemini, Llama, ...
    }

    /// <summary><c>o1</c>, <c>o3-mini</c>, <c>o4-mini-2025-04-16</c>...: "o", digits, then the end or a dash.</summary>
    private static bool IsOSeries(string name)
    {
        if (name.Length < 2 || name[0] != 'o' || !char.IsAsciiDigit(name[1]))
        {
            return false;
        }

        var i = 1;
        while (i < name.Length && char.IsAsciiDigit(name[i]))
        {
            i++;
        }

        return i == name.Length || name[i] == '-';
    }
}
