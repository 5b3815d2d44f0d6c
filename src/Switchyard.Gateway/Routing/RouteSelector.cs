using Microsoft.AspNetCore.Http;

namespace Switchyard.Routing;

/// <summary>
/// Picks the conditional route for a request: the one the client names in <c>x-switchyard-route</c>, else the
/// first whose <c>match</c> holds, in file order. Pure: request facts in, rule out.
/// </summary>
public static class RouteSelector
{
    /// <summary>The route, or null when none applies; <paramref name="unknown"/> is set when the header names no route.</summary>
    public static RouteRule? Select(IReadOnlyList<RouteRule> routes, HttpRequest request, in RequestHead head, string? keyId, out string? unknown)
    {
        unknown = null;
        if (routes.Count == 0)
        {
            return null;
        }

        if (request.Headers[GatewayHeaders.Route] is { Count: 1 } named && named[0] is { Length: > 0 } name)
        {
            foreach (var r in routes)
            {
                if (r.Name == name)
                {
                    return r;
                }
            }

            unknown = name;
            return null;
        }

        foreach (var r in routes)
        {
            if (r.Match is { } m && Matches(m, request, head, keyId))
            {
                return r;
            }
        }

        return null;
    }

    /// <summary>True when every condition of <paramref name="m"/> holds.</summary>
    public static bool Matches(RouteMatch m, HttpRequest request, in RequestHead head, string? keyId)
    {
        foreach (var (name, value) in m.Headers)
        {
            if (request.Headers[name] is not { Count: 1 } v || v[0] != value)
            {
                return false;
            }
        }

        if (m.KeyIds.Count > 0 && (keyId is null || !m.KeyIds.Contains(keyId)))
        {
            return false;
        }

        foreach (var (name, value) in m.Metadata)
        {
            if (head.Metadata is null || !head.Metadata.Exists(p => p.Key == name && p.Value == value))
            {
                return false;
            }
        }

        if (m.Models.Count > 0 && !m.Models.Contains(head.Model))
        {
            return false;
        }

        return (m.HasTools is not { } tools || tools == head.Needs.Tools)
            && (m.HasImages is not { } images || images == head.Needs.Vision)
            && (m.MinPromptTokens is not { } min || head.Needs.EstimatedPromptTokens >= min)
            && (m.MaxPromptTokens is not { } max || head.Needs.EstimatedPromptTokens <= max);
    }
}
