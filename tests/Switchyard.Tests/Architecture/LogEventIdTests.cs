using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Switchyard.Tests.Architecture;

/// <summary>
/// Every log message of the gateway has its own event id: operators filter and alert on ids, and two messages sharing one
/// (as the pipeline's internal error and the config reload's failure once did) make such a rule fire on the wrong thing.
/// </summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void EveryLoggerMessage_HasAnEventIdOfItsOwn()
    {
        var ids = typeof(Switchyard.Pipeline.GatewayPipeline).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => (Method: $"{m.DeclaringType!.Name}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(x => x.Attribute is not null)
            .ToList();

        Assert.True(ids.Count > 50, $"only {ids.Count} logger messages found: the scan is broken");
        var shared = ids.GroupBy(x => x.Attribute!.EventId).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(x => x.Method))}").ToList();
        Assert.True(shared.Count == 0, "event ids used more than once:\n" + string.Join("\n", shared));
    }
}
