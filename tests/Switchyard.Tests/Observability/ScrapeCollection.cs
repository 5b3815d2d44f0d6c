namespace Switchyard.Tests.Observability;

/// <summary>
/// Tests that parse a whole <c>/metrics</c> scrape run alone: every gateway of the test process registers a meter of
/// the same name, and OpenTelemetry's provider listens by name, so a scrape taken while other tests' gateways run
/// holds their series too, and two of them with the same labels fail the exposition-format check. (One gateway per
/// process, as in production, has no such neighbours.)
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ScrapeCollection
{
    public const string Name = "whole /metrics scrapes";
}
