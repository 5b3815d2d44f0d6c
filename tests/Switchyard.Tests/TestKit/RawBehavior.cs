using Microsoft.AspNetCore.Http;

namespace Switchyard.Tests.TestKit;

/// <summary>
/// Escape hatch: <see cref="Handler"/> writes the whole response (e.g. an HTML 502 from a proxy, odd SSE framing via
/// <see cref="SseWriter"/>). Exceptions it throws are collected in <see cref="FakeOpenAIUpstream.HandlerErrors"/>.
/// </summary>
/// <param name="Handler">Receives the live <see cref="HttpContext"/> and the already-recorded request.</param>
public sealed record RawBehavior(Func<HttpContext, RecordedRequest, Task> Handler) : UpstreamBehavior
{
    internal override Task ExecuteAsync(BehaviorContext context) => Handler(context.Http, context.Request);
}
