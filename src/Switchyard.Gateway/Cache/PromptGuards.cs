using System.Text.RegularExpressions;

namespace Switchyard.Cache;

/// <summary>
/// What two prompts must share for one's answer to serve the other, however close their embeddings: embeddings place
/// "How do I enable X?" and "How do I not enable X?", "What is 2+2?" and "What is 2+3?", or "capital of France" and
/// "capital of Germany" within a few hundredths of each other (LiteLLM #12234, GPTCache #694). So a prompt's signature
/// holds its negations (counted), its numbers (digits and the number words zero to twenty, as a sorted list), and its
/// named entities (capitalized words other than common sentence openers, and quoted strings, as a sorted list); a
/// semantic hit needs equal signatures. English only: in another language the negation and opener lists do not apply,
/// numbers and capitalized or quoted names still do. The guards only turn hits into misses, never the reverse.
/// </summary>
public static partial class PromptGuards
{
    /// <summary>Words that negate (lowercase); any word ending in <c>n't</c> counts as one too.</summary>
    private static readonly HashSet<string> Negations = new(StringComparer.Ordinal)
    {
        "not", "no", "never", "none", "nothing", "nobody", "nowhere", "neither", "nor", "cannot", "without", "except", "nope",
    };

    /// <summary>Number words, compared as they are written (two and 2 differ: a false miss, never a false hit).</summary>
    private static readonly HashSet<string> NumberWords = new(StringComparer.Ordinal)
    {
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
        "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "hundred", "thousand", "million", "billion",
        "first", "second", "third", "half", "twice", "double", "triple",
    };

    /// <summary>Capitalized words that open sentences and name nothing (lowercase); any other capitalized word is an entity.</summary>
    private static readonly HashSet<string> Openers = new(StringComparer.Ordinal)
    {
        "i", "a", "an", "the", "what", "whats", "what's", "how", "why", "when", "where", "who", "whom", "whose", "which", "is", "are", "was",
        "were", "can", "could", "should", "would", "will", "shall", "may", "might", "must", "do", "does", "did", "has", "have", "had", "please",
        "tell", "give", "explain", "describe", "list", "show", "write", "summarize", "summarise", "translate", "compare", "define", "find",
        "make", "create", "help", "it", "its", "this", "that", "these", "those", "there", "here", "my", "your", "our", "their", "in", "on",
        "at", "for", "if", "and", "or", "but", "so", "hi", "hello", "hey", "thanks", "thank", "ok", "okay", "yes", "let", "let's", "be",
    };

    /// <summary>The signature of <paramref name="prompt"/>: equal signatures are a precondition of a semantic hit.</summary>
    public static PromptSignature Signature(string prompt)
    {
        var negations = 0;
        var numbers = new List<string>();
        var entities = new List<string>();
        foreach (Match quoted in Quoted().Matches(prompt))
        {
            entities.Add("\"" + quoted.Groups[1].Value + quoted.Groups[2].Value + quoted.Groups[3].Value + quoted.Groups[4].Value);
        }

        foreach (Match token in Tokens().Matches(prompt))
        {
            var word = token.Value;
            var lower = word.ToLowerInvariant();
            if (char.IsDigit(word[0]))
            {
                numbers.Add(word.Replace(",", "", StringComparison.Ordinal));
            }
            else if (Negations.Contains(lower) || lower.EndsWith("n't", StringComparison.Ordinal) || lower.EndsWith("n’t", StringComparison.Ordinal))
            {
                negations++;
            }
            else if (NumberWords.Contains(lower))
            {
                numbers.Add(lower);
            }
            else if (char.IsUpper(word[0]) && !Openers.Contains(lower))
            {
                entities.Add(word);
            }
        }

        numbers.Sort(StringComparer.Ordinal);
        entities.Sort(StringComparer.Ordinal);
        return new PromptSignature(negations, string.Join('\u001f', numbers), string.Join('\u001f', entities));
    }

    /// <summary>Words (letters, digits, apostrophes inside) and numbers (with decimal points and thousands separators).</summary>
    [GeneratedRegex(@"\d+(?:[.,]\d+)*|[\p{L}\p{M}][\p{L}\p{M}\d'’]*", RegexOptions.CultureInvariant)]
    private static partial Regex Tokens();

    /// <summary>Quoted strings: "…", “…”, `…` and '…' (the last only at word boundaries, so "don't" is not a quote).</summary>
    [GeneratedRegex(@"""([^""]{1,200})""|“([^”]{1,200})”|`([^`]{1,200})`|(?<![\p{L}\d])'([^']{1,200})'(?![\p{L}\d])", RegexOptions.CultureInvariant)]
    private static partial Regex Quoted();
}

/// <summary>A prompt's negation count, numbers and entities (<see cref="PromptGuards"/>); records compare by value.</summary>
/// <param name="Negations">How many negating words.</param>
/// <param name="Numbers">The numbers, sorted, joined.</param>
/// <param name="Entities">Capitalized words and quoted strings, sorted, joined.</param>
public sealed record PromptSignature(int Negations, string Numbers, string Entities);
