namespace Switchyard.Tests.TestKit;

/// <summary>
/// An HTTP error answered with OpenAI's error body <c>{"error":{"message","type","param","code"}}</c>. Add headers
/// such as <c>Retry-After</c> via <see cref="UpstreamBehavior.Headers"/> (the <see cref="UpstreamBehavior.RateLimited"/>
/// factory already does).
/// </summary>
/// <param name="StatusCode">HTTP status.</param>
/// <param name="Message"><c>error.message</c>.</param>
/// <param name="Type"><c>error.type</c>, e.g. <c>invalid_request_error</c>.</param>
/// <param name="Param"><c>error.param</c> (null when not about a parameter).</param>
/// <param name="Code"><c>error.code</c>, e.g. <c>invalid_api_key</c>.</param>
public sealed record ErrorBehavior(int StatusCode, string Message, string Type, string? Param = null, string? Code = null) : UpstreamBehavior
{
    internal string BodyJson => OpenAIWire.Serialize(OpenAIWire.Error(Message, Type, Param, Code));

    internal override Task ExecuteAsync(BehaviorContext context) => context.WriteJsonAsync(StatusCode, BodyJson);
}
