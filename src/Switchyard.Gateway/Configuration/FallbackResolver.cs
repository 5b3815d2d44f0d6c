namespace Switchyard.Configuration;

/// <summary>
/// Second pass over the models: turns fallback names into <see cref="FallbackTarget"/>s (an alias wins
/// over a deployment of the same name, since routing through the alias keeps its weights) and rejects
/// chains that loop back through aliases, which would otherwise bounce a failing request forever.
/// </summary>
internal static class FallbackResolver
{
    public static Dictionary<string, ModelAlias> Resolve(
        BindContext ctx,
        IReadOnlyList<(string Name, AliasDraft? Draft)> aliases,
        IReadOnlySet<string> aliasNames,
        IReadOnlyDictionary<string, DeploymentConfig?> deployments)
    {
        var resolved = new Dictionary<string, List<(FallbackTarget Target, string Path)>>(StringComparer.Ordinal);
        var result = new Dictionary<string, ModelAlias>(StringComparer.Ordinal);
        foreach (var (name, draft) in aliases)
        {
            if (draft is null)
            {
                continue;
            }

            var targets = ResolveTargets(ctx, draft, aliasNames, deployments);
            resolved[name] = targets;
            result[name] = new ModelAlias(name, draft.Deployments, [.. targets.Select(t => t.Target)], draft.Policy)
            {
                DropUnsupportedParams = draft.DropUnsupportedParams,
                Strategy = draft.Strategy,
                Hedge = draft.Hedge,
                CircuitBreaker = draft.CircuitBreaker,
                Cache = draft.Cache,
                Guardrails = draft.Guardrails,
            };
        }

        ReportCycles(ctx, aliases, resolved);
        return result;
    }

    private static List<(FallbackTarget Target, string Path)> ResolveTargets(
        BindContext ctx,
        AliasDraft draft,
        IReadOnlySet<string> aliasNames,
        IReadOnlyDictionary<string, DeploymentConfig?> deployments)
    {
        var targets = new List<(FallbackTarget Target, string Path)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, path) in draft.Fallbacks)
        {
            if (name == draft.Name)
            {
                ctx.Error(path, $"model '{name}' cannot fall back to itself");
                continue;
            }

            if (!seen.Add(name))
            {
                ctx.Error(path, $"'{name}' is listed twice in the fallback chain");
                continue;
            }

            if (aliasNames.Contains(name))
            {
                targets.Add((new FallbackTarget(name, IsAlias: true), path));
            }
            else if (deployments.ContainsKey(name))
            {
                targets.Add((new FallbackTarget(name, IsAlias: false), path));
            }
            else
            {
                ctx.Error(path, $"unknown alias or deployment '{name}'{Suggestions.Hint(name, aliasNames.Concat(deployments.Keys))}");
            }
        }

        return targets;
    }

    /// <summary>
    /// Depth-first search over alias→alias fallback edges. Each cycle is reported once, at the fallback entry
    /// that closes it, with the whole loop spelled out.
    /// </summary>
    private static void ReportCycles(
        BindContext ctx,
        IReadOnlyList<(string Name, AliasDraft? Draft)> aliases,
        Dictionary<string, List<(FallbackTarget Target, string Path)>> edges)
    {
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the stack, true: done
        var stack = new List<string>();

        foreach (var (name, _) in aliases)
        {
            Visit(name);
        }

        void Visit(string alias)
        {
            if (state.ContainsKey(alias) || !edges.TryGetValue(alias, out var outgoing))
            {
                return;
            }

            state[alias] = false;
            stack.Add(alias);
            foreach (var (target, path) in outgoing)
            {
                if (!target.IsAlias)
                {
                    continue;
                }

                if (state.TryGetValue(target.Name, out var done) && !done)
                {
                    var loop = stack.Skip(stack.IndexOf(target.Name)).Append(target.Name);
                    ctx.Error(path, $"fallback cycle: {string.Join(" -> ", loop)}");
                }
                else
                {
                    Visit(target.Name);
                }
            }

            stack.RemoveAt(stack.Count - 1);
            state[alias] = true;
        }
    }
}
