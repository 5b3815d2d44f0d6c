using System.Collections.Frozen;
using System.Text.RegularExpressions;
using Switchyard.Guardrails;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Binds <c>guardrails:</c> (named policies, each with <c>input:</c> and <c>output:</c> rule lists) and the
/// <c>guardrails:</c> references of models, routes and keys (a name or a list of names). Every rule is checked for
/// what its kind allows (where, which actions) and compiled here, so a bad pattern is a load error, never a request's
/// (docs/adr/0016-guardrails.md).
/// </summary>
internal static class GuardrailsBinder
{
    private static readonly FrozenSet<string> PolicyKeys = FrozenSet.Create(StringComparer.Ordinal, "input", "output");

    private static readonly FrozenSet<string> RuleKeys = FrozenSet.Create(StringComparer.Ordinal,
        "type", "name", "action", "detect", "restore", "pattern", "max_length", "words", "limit", "min_entropy", "alias", "deadline", "on_timeout");

    private static readonly FrozenDictionary<string, GuardRuleKind> Kinds = new Dictionary<string, GuardRuleKind>
    {
        ["pii"] = GuardRuleKind.Pii, ["secrets"] = GuardRuleKind.Secrets, ["regex"] = GuardRuleKind.Regex,
        ["keywords"] = GuardRuleKind.Keywords, ["max_chars"] = GuardRuleKind.MaxChars, ["max_tokens"] = GuardRuleKind.MaxTokens,
        ["json_schema"] = GuardRuleKind.JsonSchema, ["moderation"] = GuardRuleKind.Moderation,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, PiiKinds> PiiNames = new Dictionary<string, PiiKinds>
    {
        ["email"] = PiiKinds.Email, ["phone"] = PiiKinds.Phone, ["card"] = PiiKinds.Card, ["iban"] = PiiKinds.Iban,
        ["us_ssn"] = PiiKinds.UsSsn, ["uk_nino"] = PiiKinds.UkNino,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The longest <c>max_length</c> a regex rule may declare: the window holds back this much of a stream at most.</summary>
    private const int MaxPatternLength = 4096;

    /// <summary>Binds the top-level section; the moderation aliases are returned with their paths, checked once models are bound.</summary>
    public static FrozenDictionary<string, GuardrailPolicy> Bind(BindContext ctx, YamlNode? node, string path, List<(string Path, string Alias)> aliasRefs)
    {
        var result = new Dictionary<string, GuardrailPolicy>(StringComparer.Ordinal);
        foreach (var (name, value) in ctx.Entries(node, path) ?? [])
        {
            var policyPath = BindContext.Child(path, name);
            if (!ctx.CheckName(name, policyPath, "guardrail policy") || ctx.Map(value, policyPath, PolicyKeys) is not { } map)
            {
                continue;
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            var input = Rules(ctx, map["input"], map.PathOf("input"), name, GuardWhere.Input, names, aliasRefs);
            var output = Rules(ctx, map["output"], map.PathOf("output"), name, GuardWhere.Output, names, aliasRefs);
            result[name] = new GuardrailPolicy(name, input, output);
        }

        return result.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// A <c>guardrails:</c> reference under a model, route or key at <paramref name="map"/>: a name or a list of names,
    /// each declared under the top-level <c>guardrails:</c>. Null when the key is absent.
    /// </summary>
    public static IReadOnlyList<string>? References(BindContext ctx, MapView map, IReadOnlyCollection<string> declared)
    {
        if (!map.Has("guardrails"))
        {
            return null;
        }

        var path = map.PathOf("guardrails");
        var node = map["guardrails"];
        var names = node is YamlScalarNode ? [ctx.String(node, path)?.Trim() ?? ""] : GovernanceBinder.Strings(ctx, node, path);
        for (var i = 0; i < names.Count; i++)
        {
            if (!declared.Contains(names[i]))
            {
                ctx.Error(node is YamlScalarNode ? path : BindContext.Index(path, i),
                    $"unknown guardrail policy '{names[i]}'{Suggestions.Hint(names[i], declared)}; declare it under guardrails:");
            }
        }

        return names;
    }

    private static List<GuardRule> Rules(BindContext ctx, YamlNode? node, string path, string policy, GuardWhere where, HashSet<string> names,
        List<(string, string)> aliasRefs)
    {
        var rules = new List<GuardRule>();
        if (ctx.Sequence(node, path) is not { } seq)
        {
            return rules;
        }

        for (var i = 0; i < seq.Children.Count; i++)
        {
            var itemPath = BindContext.Index(path, i);
            if (ctx.Map(seq.Children[i], itemPath, RuleKeys) is { } map && Rule(ctx, map, policy, where, aliasRefs) is { } rule)
            {
                if (!names.Add($"{where}:{rule.Name}"))
                {
                    ctx.Error(map.PathOf("name"), $"duplicate rule name '{rule.Name}' on {Side(where)}; give one a 'name'");
                }

                rules.Add(rule);
            }
        }

        return rules;
    }

    private static GuardRule? Rule(BindContext ctx, MapView map, string policy, GuardWhere where, List<(string, string)> aliasRefs)
    {
        var typeName = ctx.RequiredString(map, "type")?.Trim();
        if (typeName is null)
        {
            return null;
        }

        if (!Kinds.TryGetValue(typeName, out var kind))
        {
            ctx.Error(map.PathOf("type"), $"unknown rule type '{typeName}'{Suggestions.Hint(typeName, Kinds.Keys)}; valid: {string.Join(", ", Kinds.Keys)}");
            return null;
        }

        var name = ctx.String(map["name"], map.PathOf("name"))?.Trim() ?? typeName;
        var action = Action(ctx, map);
        CheckPlace(ctx, map, kind, typeName, where, action);
        var rule = new GuardRule($"{policy}/{name}", kind, action) { Label = Detectors.LabelOf(name) };
        return kind switch
        {
            GuardRuleKind.Pii => rule with { Pii = Pii(ctx, map), MaxMatch = Detectors.MaxPiiMatch, Restore = Restore(ctx, map, where, action) },
            GuardRuleKind.Secrets => rule with
            {
                MaxMatch = Detectors.MaxSecretMatch,
                MinEntropy = ctx.Number(map["min_entropy"], map.PathOf("min_entropy"), 1, 8) ?? 4.0,
                Restore = Restore(ctx, map, where, action),
            },
            GuardRuleKind.Regex => Pattern(ctx, map, rule) with { Restore = Restore(ctx, map, where, action) },
            GuardRuleKind.Keywords => Keywords(ctx, map, rule) with { Restore = Restore(ctx, map, where, action) },
            GuardRuleKind.MaxChars or GuardRuleKind.MaxTokens => rule with { Limit = Limit(ctx, map) },
            GuardRuleKind.Moderation => Moderation(ctx, map, rule, aliasRefs),
            _ => rule,
        };
    }

    /// <summary>Which rule kinds may stand on which side, and which actions they take.</summary>
    private static void CheckPlace(BindContext ctx, MapView map, GuardRuleKind kind, string typeName, GuardWhere where, GuardAction action)
    {
        if (kind is GuardRuleKind.MaxChars or GuardRuleKind.MaxTokens or GuardRuleKind.Moderation && where == GuardWhere.Output)
        {
            ctx.Error(map.PathOf("type"), $"'{typeName}' checks the prompt: put it under input");
        }

        if (kind == GuardRuleKind.JsonSchema && where == GuardWhere.Input)
        {
            ctx.Error(map.PathOf("type"), "'json_schema' checks the answer: put it under output");
        }

        if (action == GuardAction.Redact && kind is not (GuardRuleKind.Pii or GuardRuleKind.Secrets or GuardRuleKind.Regex or GuardRuleKind.Keywords))
        {
            ctx.Error(map.PathOf("action"), $"'{typeName}' finds nothing to replace: use block or flag");
        }
    }

    private static GuardAction Action(BindContext ctx, MapView map) => ctx.String(map["action"], map.PathOf("action"))?.Trim() switch
    {
        null or "block" => GuardAction.Block,
        "redact" => GuardAction.Redact,
        "flag" => GuardAction.Flag,
        var other => Invalid(ctx, map.PathOf("action"), $"unknown action '{other}'; valid: block, redact, flag", GuardAction.Block),
    };

    private static bool Restore(BindContext ctx, MapView map, GuardWhere where, GuardAction action)
    {
        var restore = ctx.Bool(map["restore"], map.PathOf("restore")) ?? false;
        if (restore && (where != GuardWhere.Input || action != GuardAction.Redact))
        {
            ctx.Error(map.PathOf("restore"), "only an input rule with action: redact has placeholders to restore");
        }

        return restore;
    }

    private static PiiKinds Pii(BindContext ctx, MapView map)
    {
        if (!map.Has("detect"))
        {
            return PiiKinds.All;
        }

        var kinds = PiiKinds.None;
        var names = GovernanceBinder.Strings(ctx, map["detect"], map.PathOf("detect"));
        for (var i = 0; i < names.Count; i++)
        {
            if (PiiNames.TryGetValue(names[i], out var one))
            {
                kinds |= one;
            }
            else
            {
                ctx.Error(BindContext.Index(map.PathOf("detect"), i),
                    $"unknown kind '{names[i]}'{Suggestions.Hint(names[i], PiiNames.Keys)}; valid: {string.Join(", ", PiiNames.Keys)}");
            }
        }

        return kinds;
    }

    /// <summary>A <c>regex</c> rule: compiled non-backtracking (linear in the text, whatever the pattern), with its declared bound.</summary>
    private static GuardRule Pattern(BindContext ctx, MapView map, GuardRule rule)
    {
        var text = ctx.RequiredString(map, "pattern");
        var maxLength = ctx.Int(map["max_length"], map.PathOf("max_length"), 1, MaxPatternLength);
        if (!map.Has("max_length"))
        {
            ctx.Error(map.PathOf("max_length"), "required: the longest text the pattern can match (the stream window holds back this many characters)");
        }

        return rule with { Pattern = Compile(ctx, text, map.PathOf("pattern"), RegexOptions.None), MaxMatch = maxLength ?? 1 };
    }

    private static GuardRule Keywords(BindContext ctx, MapView map, GuardRule rule)
    {
        var words = GovernanceBinder.Strings(ctx, map["words"], map.PathOf("words")).Where(w => w.Length > 0).ToList();
        if (words.Count == 0)
        {
            ctx.Error(map.PathOf("words"), "required: a list of one or more words or phrases");
            return rule;
        }

        var pattern = @"\b(?:" + string.Join("|", words.Select(Regex.Escape)) + @")\b";
        return rule with { Pattern = Compile(ctx, pattern, map.PathOf("words"), RegexOptions.IgnoreCase), MaxMatch = words.Max(w => w.Length) };
    }

    private static Regex? Compile(BindContext ctx, string? pattern, string path, RegexOptions options)
    {
        if (pattern is null)
        {
            return null;
        }

        try
        {
            return new Regex(pattern, options | RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            ctx.Error(path, $"not a pattern the non-backtracking engine takes (no backreferences, lookarounds or atomic groups): {ex.Message}");
            return null;
        }
    }

    private static long Limit(BindContext ctx, MapView map)
    {
        if (!map.Has("limit"))
        {
            ctx.Error(map.PathOf("limit"), "required: the largest prompt allowed");
        }

        return ctx.Int(map["limit"], map.PathOf("limit"), 1) ?? int.MaxValue;
    }

    private static GuardRule Moderation(BindContext ctx, MapView map, GuardRule rule, List<(string, string)> aliasRefs)
    {
        var alias = ctx.RequiredString(map, "alias")?.Trim();
        if (alias is not null)
        {
            aliasRefs.Add((map.PathOf("alias"), alias));
        }

        var deadline = ctx.Duration(map["deadline"], map.PathOf("deadline")) ?? TimeSpan.FromSeconds(2);
        if (deadline <= TimeSpan.Zero || deadline > TimeSpan.FromMinutes(1))
        {
            ctx.Error(map.PathOf("deadline"), "must be more than 0 and at most 1 minute");
        }

        var block = ctx.String(map["on_timeout"], map.PathOf("on_timeout"))?.Trim() switch
        {
            null or "allow" => false,
            "block" => true,
            var other => Invalid(ctx, map.PathOf("on_timeout"), $"unknown value '{other}'; valid: allow, block", false),
        };
        return rule with { Alias = alias, Deadline = deadline, BlockOnTimeout = block };
    }

    private static T Invalid<T>(BindContext ctx, string path, string message, T fallback)
    {
        ctx.Error(path, message);
        return fallback;
    }

    private static string Side(GuardWhere where) => where == GuardWhere.Input ? "input" : "output";
}
