namespace Switchyard.Tests.TestKit;

/// <summary>Fluent helpers that keep the concrete behaviour type (so <c>with { ... }</c> still works afterwards).</summary>
public static class UpstreamBehaviorExtensions
{
    /// <summary>
    /// Adds (or replaces) one response header, keeping the behaviour's other headers — unlike <c>with { Headers = ... }</c>,
    /// which would drop e.g. the <c>Retry-After</c> of <see cref="UpstreamBehavior.RateLimited"/>.
    /// </summary>
    public static T WithHeader<T>(this T behavior, string name, string value)
        where T : UpstreamBehavior
    {
        var headers = new Dictionary<string, string>(behavior.Headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase)
        {
            [name] = value,
        };

        // 'with' is not allowed on a type parameter; the clone is virtual, so the runtime type is still T.
        return (T)((UpstreamBehavior)behavior with { Headers = headers });
    }
}
