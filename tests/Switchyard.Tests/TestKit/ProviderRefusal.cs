namespace Switchyard.Tests.TestKit;

/// <summary>
/// What a real provider answers to a body it refuses before generating: the HTTP status, the provider's error
/// type (Anthropic's <c>error.type</c>, Bedrock's <c>x-amzn-ErrorType</c>, Google's <c>error.status</c>) and the
/// message. The model-rule classes return one of these or null; each fake renders it in its own error shape.
/// </summary>
public sealed record ProviderRefusal(int Status, string Type, string Message);
