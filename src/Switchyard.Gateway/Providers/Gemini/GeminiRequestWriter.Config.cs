using System.Text.Json;
using Switchyard.Canonical;

namespace Switchyard.Providers.Gemini;

/// <summary>The <c>generationConfig</c> half of the writer, and the refuse-or-drop bookkeeping.</summary>
public static partial class GeminiRequestWriter
{
    private static void WriteConfig(Utf8JsonWriter w, ChatRequest r, Context ctx)
    {
        var started = false;
        void Start()
        {
            if (!started)
            {
                started = true;
                w.WriteStartObject("generationConfig");
            }
        }

        if (r.Stop.Count > 0)
        {
            Start();
            w.WriteStartArray("stopSequences");
            r.Stop.ForEach(w.WriteStringValue);
            w.WriteEndArray();
        }

        if (r.ResponseFormat is { Kind: not ResponseFormatKind.Text } rf)
        {
            Start();
            w.WriteString("responseMimeType", "application/json");
            if (rf is { Kind: ResponseFormatKind.JsonSchema, Schema: { } schema })
            {
                w.WritePropertyName("responseJsonSchema");
                schema.WriteTo(w);
            }
        }

        if (r.N is > 1)
        {
            ctx.Refuse("n", "only one candidate is translated back from Gemini");
        }

        Opt(w, "maxOutputTokens", r.MaxTokens, Start);
        Opt(w, "temperature", r.Temperature, Start);
        Opt(w, "topP", r.TopP, Start);
        Opt(w, "topK", r.TopK, Start);
        WriteSeed(w, r.Seed, ctx, Start);

        Opt(w, "presencePenalty", r.PresencePenalty, Start);
        Opt(w, "frequencyPenalty", r.FrequencyPenalty, Start);
        if (r.Reasoning is { } reasoning)
        {
            Start();
            WriteThinkingConfig(w, reasoning, r.MaxTokens);
        }

        if (started)
        {
            w.WriteEndObject();
        }
    }

    private static void WriteSeed(Utf8JsonWriter w, long? value, Context ctx, Action start)
    {
        if (value is not { } seed)
        {
            return;
        }

        if (seed is >= int.MinValue and <= int.MaxValue)
        {
            start();
            w.WriteNumber("seed", seed);
        }
        else
        {
            ctx.Refuse("seed", "Gemini seeds are 32-bit integers");
        }
    }

    private static void WriteThinkingConfig(Utf8JsonWriter w, ReasoningConfig reasoning, int? maxTokens)
    {
        w.WriteStartObject("thinkingConfig");
        if (reasoning.Effort == "none" || reasoning.BudgetTokens == 0)
        {
            // No thinking: a budget of 0 turns it off (models that cannot are caught by their catalog entry first),
            // and there are no thoughts to include.
            w.WriteNumber("thinkingBudget", 0);
            w.WriteEndObject();
            return;
        }

        // An explicit budget wins; an effort becomes the documented approximate budget; neither is
        // Gemini's "dynamic" (-1), the model's own choice.
        w.WriteNumber("thinkingBudget", reasoning.BudgetTokens ?? (reasoning.Effort is null ? -1 : reasoning.BudgetOr(maxTokens ?? 8192)));
        w.WriteBoolean("includeThoughts", reasoning.IncludeThoughts);
        w.WriteEndObject();
    }

    private static void Opt(Utf8JsonWriter w, string name, double? value, Action start)
    {
        if (value is { } v)
        {
            start();
            w.WriteNumber(name, v);
        }
    }

    private static void Opt(Utf8JsonWriter w, string name, int? value, Action start)
    {
        if (value is { } v)
        {
            start();
            w.WriteNumber(name, v);
        }
    }

    /// <summary>Refuse-or-drop bookkeeping for one request.</summary>
    private sealed class Context(List<string> dropped, bool allowDrop)
    {
        public void Refuse(string field, string reason)
        {
            if (!allowDrop)
            {
                throw new UnsupportedFeatureException(field, reason);
            }

            Hint(field);
        }

        public void Hint(string field)
        {
            if (!dropped.Contains(field))
            {
                dropped.Add(field);
            }
        }

        public void NoteCache(ContentPart part)
        {
            if (part.Cache is not null)
            {
                Hint("cache_control"); // Gemini caches implicitly; explicit caches are project resources
            }
        }
    }
}
