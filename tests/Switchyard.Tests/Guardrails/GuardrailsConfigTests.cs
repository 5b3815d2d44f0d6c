using Switchyard.Tests.Configuration;

namespace Switchyard.Tests.Guardrails;

/// <summary>The <c>guardrails:</c> section and its references: bound and compiled at load; every mistake named with its path.</summary>
public sealed class GuardrailsConfigTests
{
    private static readonly Func<string, string?> Env = ConfigTestSupport.Env(("K", "k"), ("CLIENT", "sk-client-guard-1"));

    private const string Base = """
        providers:
          up: { kind: openai-compatible, base_url: "http://127.0.0.1:9/v1", api_key: "${K}" }
        deployments:
          d: { provider: up, model: m }
          mod: { provider: up, model: omni-moderation-latest }

        """;

    private const string Policies = """
        guardrails:
          strict:
            input:
              - { type: pii, detect: [email, card], action: redact, restore: true }
              - { type: secrets, action: block }
              - { type: regex, name: project-code, pattern: 'ZEUS-[0-9]{4}', max_length: 9, action: flag }
              - { type: keywords, words: [confidential, "top secret"] }
              - { type: max_chars, limit: 20000 }
              - { type: max_tokens, limit: 4000, action: flag }
              - { type: moderation, alias: moderator, deadline: 500ms, on_timeout: block }
            output:
              - { type: pii, action: redact }
              - { type: json_schema, action: flag }
          light:
            input:
              - { type: pii, action: flag }

        """;

    [Fact]
    public void Load_PoliciesAndReferences_BoundEverywhere()
    {
        var config = ConfigTestSupport.LoadValid(Base + Policies + """
            auth:
              keys:
                - { id: c, key_env: CLIENT, guardrails: light }
            models:
              guarded: { deployments: [d], guardrails: strict }
              both: { deployments: [d], guardrails: [strict, light] }
              plain: d
              moderator: mod
            routes:
              r: { primary_model: plain, guardrails: [light] }
            """, Env);

        var strict = config.Guardrails["strict"];
        Assert.Equal(["strict/pii", "strict/secrets", "strict/project-code", "strict/keywords", "strict/max_chars", "strict/max_tokens", "strict/moderation"],
            strict.Input.Select(r => r.Name));
        Assert.Equal((PiiKinds.Email | PiiKinds.Card, GuardAction.Redact, true), (strict.Input[0].Pii, strict.Input[0].Action, strict.Input[0].Restore));
        Assert.Equal(("PROJECT_CODE", 9, true), (strict.Input[2].Label, strict.Input[2].MaxMatch, strict.Input[2].Pattern!.IsMatch("see ZEUS-1234")));
        Assert.Matches(strict.Input[3].Pattern!, "this is TOP SECRET stuff");
        Assert.DoesNotMatch(strict.Input[3].Pattern!, "confidentiality");
        Assert.Equal(("moderator", TimeSpan.FromMilliseconds(500), true), (strict.Input[6].Alias, strict.Input[6].Deadline, strict.Input[6].BlockOnTimeout));
        Assert.Equal([GuardRuleKind.Pii, GuardRuleKind.JsonSchema], strict.Output.Select(r => r.Kind));
        Assert.Equal(["strict"], config.Models["guarded"].Guardrails);
        Assert.Equal(["strict", "light"], config.Models["both"].Guardrails);
        Assert.Empty(config.Models["plain"].Guardrails);
        Assert.Equal(["light"], Assert.Single(config.Routes).Guardrails);
        Assert.Equal(["light"], Assert.Single(config.Auth.Keys).Policy.Guardrails);
    }

    [Theory]
    [InlineData("models:\n  m: { deployments: [d], guardrails: nope }\n", "models.m.guardrails", "unknown guardrail policy 'nope'")]
    [InlineData("guardrails:\n  g:\n    input:\n      - { type: pii_data }\nmodels:\n  m: d\n", "guardrails.g.input[0].type", "unknown rule type 'pii_data'")]
    [InlineData("guardrails:\n  g:\n    input:\n      - { type: json_schema }\nmodels:\n  m: d\n", "guardrails.g.input[0].type", "put it under output")]
    [InlineData("guardrails:\n  g:\n    output:\n      - { type: max_chars, limit: 5 }\nmodels:\n  m: d\n", "guardrails.g.output[0].type", "put it under input")]
    [InlineData("guardrails:\n  g:\n    input:\n      - { type: max_tokens, limit: 5, action: redact }\nmodels:\n  m: d\n", "guardrails.g.input[0].action", "nothing to replace")]
    [InlineData("guardrails:\n  g:\n    output:\n      - { type: pii, action: redact, restore: true }\nmodels:\n  m: d\n", "guardrails.g.output[0].restore", "only an input rule")]
    [InlineData("guardrails:\n  g:\n    input:\n      - { type: regex, pattern: '(a)\\1', max_length: 4 }\nmodels:\n  m: d\n", "guardrails.g.input[0].pattern", "non-backtracking")]
    [InlineData("guardrails:\n  g:\n    input:\n      - { type: regex, pattern: 'a+' }\nmodels:\n  m: d\n", "guardrails.g.input[0].max_length", "required")]
    [InlineData("guardrails:\n  g:\n    input:\n      - { type: pii, detect: [email, passport] }\nmodels:\n  m: d\n", "guardrails.g.input[0].detect[1]", "unknown kind 'passport'")]
    [InlineData("guardrails:\n  g:\n    input:\n      - { type: moderation, alias: nobody }\nmodels:\n  m: d\n", "guardrails.g.input[0].alias", "unknown model 'nobody'")]
    [InlineData("guardrails:\n  g:\n    input:\n      - { type: moderation, alias: m, on_timeout: retry }\nmodels:\n  m: d\n", "guardrails.g.input[0].on_timeout", "valid: allow, block")]
    [InlineData("guardrails:\n  g:\n    input:\n      - { type: pii }\n      - { type: pii }\nmodels:\n  m: d\n", "guardrails.g.input[1].name", "duplicate rule name")]
    public void Load_BadGuardrail_OneErrorAtItsPath(string yaml, string path, string says)
    {
        var message = ConfigTestSupport.SingleErrorAt(Base + yaml, path, Env);

        Assert.Contains(says, message, StringComparison.Ordinal);
    }
}
