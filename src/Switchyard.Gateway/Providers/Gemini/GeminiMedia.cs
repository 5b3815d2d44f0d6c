using Switchyard.Canonical;

namespace Switchyard.Providers.Gemini;

/// <summary>The Gemini API's endpoints beyond chat, by operation: Imagen's images (<see cref="GeminiImagen"/>), Veo's videos (<see cref="GeminiVeo"/>).</summary>
public sealed class GeminiMedia(GeminiImagen imagen, GeminiVeo veo) : IMediaProvider
{
    /// <inheritdoc />
    public OperationKinds Serves => imagen.Serves | veo.Serves;

    /// <inheritdoc />
    public HttpRequestMessage Build(MediaCall call, DeploymentTarget deployment) => Of(call).Build(call, deployment);

    /// <inheritdoc />
    public MediaAnswer Read(ReadOnlySpan<byte> body, string? contentType, MediaCall call, DeploymentTarget deployment) =>
        Of(call).Read(body, contentType, call, deployment);

    private IMediaProvider Of(MediaCall call) => call.Operation == Operation.Videos ? veo : imagen;
}
