namespace Switchyard.Tests.TestKit;

/// <summary>Splits text into streaming pieces the way a tokenizer-driven model would: contiguous, never empty.</summary>
internal static class TextSplitter
{
    /// <summary>
    /// Splits <paramref name="text"/> into at most <paramref name="pieces"/> roughly equal, non-empty parts whose
    /// concatenation is the input. Surrogate pairs are never split, so every piece is valid UTF-16 (and UTF-8).
    /// </summary>
    internal static IReadOnlyList<string> Split(string text, int pieces)
    {
        if (text.Length == 0)
        {
            return [];
        }

        pieces = Math.Clamp(pieces, 1, text.Length);
        var result = new List<string>(pieces);
        var start = 0;
        for (var i = 1; i <= pieces; i++)
        {
            var end = (int)((long)text.Length * i / pieces);
            if (end < text.Length && char.IsLowSurrogate(text[end]))
            {
                end++;
            }

            if (end > start)
            {
                result.Add(text[start..end]);
                start = end;
            }
        }

        return result;
    }
}
