using Switchyard.Admission;

namespace Switchyard.Batches;

/// <summary>
/// Which deployment holds a file (docs/adr/0017-beyond-chat.md, "Files and batches"). A file has no <c>model</c>, but a
/// batch input file names one on every line, and the batch must run where its file is: so the file goes to a
/// deployment of that alias that serves <c>batches</c> (its <c>operations:</c>), the alias's own deployments in their
/// listed order first, then its fallbacks. The key must be allowed the alias, as for a chat request. A file of any other
/// purpose names its alias in <c>x-switchyard-model</c>.
/// </summary>
public static class BatchTargets
{
    /// <summary>The header that names the alias whose deployment keeps a file of a purpose other than <c>batch</c>.</summary>
    public const string ModelHeader = "x-switchyard-model";

    /// <summary>The deployment of <paramref name="model"/> that keeps files and runs batches, or the refusal (404, 403, 400).</summary>
    public static (DeploymentTarget? Deployment, ClientError? Error) Choose(RouteTable table, string model, Caller caller,
        IGovernanceDirectory directory, ProviderObjects objects)
    {
        if (!table.Aliases.TryGetValue(model, out var route))
        {
            return (null, new ClientError(404, ErrorCategory.NotFound, $"The model '{Bounded(model)}' does not exist on this gateway.", "model", "model_not_found"));
        }

        var allowed = KeyPolicyStage.AllowedModels(caller.Policy, directory);
        if (allowed.Count > 0 && !GovernanceRules.AllowsModel(allowed, model))
        {
            return (null, KeyPolicyStage.NotAllowed(model, "model"));
        }

        foreach (var deployment in Candidates(route))
        {
            if (objects.Serves(deployment))
            {
                return (deployment, null);
            }
        }

        return (null, new ClientError(400, ErrorCategory.InvalidRequest,
            $"No deployment of '{model}' serves batches: list 'batches' in the operations of an OpenAI or Azure OpenAI deployment of it.",
            "model", "unsupported_operation"));
    }

    private static IEnumerable<DeploymentTarget> Candidates(AliasRoute route)
    {
        foreach (var deployment in route.Deployments)
        {
            yield return deployment;
        }

        foreach (var step in route.Fallbacks)
        {
            if (step.Deployment is { } own)
            {
                yield return own;
            }
            else if (step.Alias is { } alias)
            {
                foreach (var deployment in alias.Deployments)
                {
                    yield return deployment;
                }
            }
        }
    }

    private static string Bounded(string model) => model.Length > 128 ? model[..128] + "…" : model;
}
