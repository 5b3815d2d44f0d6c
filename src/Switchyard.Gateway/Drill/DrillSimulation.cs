using System.Text.Json;
using Switchyard.Dispatch;
using Switchyard.Routing;

namespace Switchyard.Drill;

/// <summary>
/// Walks a plan the way the dispatcher does, with the same <see cref="RetryDecider"/>, but against the
/// injected faults instead of upstreams: a faulted deployment fails with its fault, any other is assumed
/// to answer. Delays are not waited; the deadline is assumed not to pass.
/// </summary>
public static class DrillSimulation
{
    /// <summary>Writes one model's simulated outcome.</summary>
    public static void Write(Utf8JsonWriter w, string model, AliasRoute route, PlanStep[] plan, FaultInjector faults)
    {
        var policy = route.Alias.Policy;
        w.WriteStartObject();
        w.WriteString("model", model);
        w.WriteStartArray("attempts");
        var attempts = 0;
        string? servedBy = null;
        string? failedWith = null;
        for (var step = 0; step < plan.Length && servedBy is null && failedWith is null; step++)
        {
            for (var retries = 0; ; retries++)
            {
                var deployment = plan[step].Deployment.Name;
                attempts++;
                var failure = faults.FailureFor(deployment);
                w.WriteStartObject();
                w.WriteString("deployment", deployment);
                if (failure is null)
                {
                    w.WriteString("outcome", "served");
                    w.WriteEndObject();
                    servedBy = deployment;
                    break;
                }

                var facts = new FailureFacts(failure.Kind, retries, attempts, step + 1 < plan.Length, failure.RetryAfter, policy.RequestTimeout);
                var decision = RetryDecider.Decide(policy, facts, 0.5);
                w.WriteString("outcome", FailureKinds.Name(failure.Kind));
                w.WriteString("action", decision.Move switch
                {
                    NextMove.Retry => "retry",
                    NextMove.Switch => decision.Scope == SwitchScope.Any ? "switch" : "switch_" + decision.Scope.ToString().ToLowerInvariant(),
                    _ => "stop",
                });
                w.WriteEndObject();
                if (decision.Move == NextMove.Retry)
                {
                    continue;
                }

                if (decision.Move == NextMove.Switch)
                {
                    var next = Dispatcher.NextStep(plan, step, decision.Scope, policy);
                    if (next < 0)
                    {
                        failedWith = FailureKinds.Name(failure.Kind);
                    }
                    else
                    {
                        step = next - 1;
                    }

                    break;
                }

                failedWith = FailureKinds.Name(failure.Kind);
                break;
            }
        }

        w.WriteEndArray();
        if (servedBy is not null)
        {
            w.WriteString("served_by", servedBy);
        }
        else
        {
            w.WriteString("fails_with", failedWith ?? (plan.Length == 0 ? "no_available_deployment" : "plan_exhausted"));
        }

        w.WriteEndObject();
    }
}
