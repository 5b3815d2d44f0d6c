namespace Switchyard.Core;

/// <summary>Which operation a request is, whatever its format; decides the fields that must be present and is recorded.</summary>
public enum Operation
{
    /// <summary><c>POST /v1/chat/completions</c>.</summary>
    ChatCompletions,

    /// <summary><c>POST /v1/embeddings</c>.</summary>
    Embeddings,

    /// <summary><c>POST /v1/responses</c> (always translated).</summary>
    Responses,

    /// <summary><c>POST /v1/messages</c> (Anthropic Messages).</summary>
    Messages,

    /// <summary><c>POST /v1beta/models/{model}:generateContent</c> and <c>:streamGenerateContent</c> (Gemini).</summary>
    GenerateContent,

    /// <summary>Anything else the gateway answered (an unknown path or method), recorded so nothing goes unseen.</summary>
    Other,

    /// <summary><c>POST /v1/moderations</c> (OpenAI).</summary>
    Moderations,

    /// <summary><c>POST /v1/rerank</c> (the Cohere/Jina shape).</summary>
    Rerank,

    /// <summary><c>POST /v1/images/generations</c> (OpenAI).</summary>
    ImageGenerations,

    /// <summary><c>POST /v1/images/edits</c> (OpenAI, multipart).</summary>
    ImageEdits,

    /// <summary><c>POST /v1/audio/speech</c> (OpenAI; audio bytes relayed as they arrive).</summary>
    Speech,

    /// <summary><c>POST /v1/audio/transcriptions</c> (OpenAI, multipart).</summary>
    Transcriptions,

    /// <summary><c>POST /v1/audio/translations</c> (OpenAI, multipart).</summary>
    Translations,

    /// <summary>OpenAI's <c>POST /v1/videos</c>: creates a video job (routed, budgeted; its cost is recorded when it completes).</summary>
    Videos,

    /// <summary><c>GET /v1/videos/{id}</c>: a job's status, from the deployment that owns it (no routing).</summary>
    VideoRetrieve,

    /// <summary><c>GET /v1/videos</c>: the caller's jobs, newest first, from the gateway's store.</summary>
    VideoList,

    /// <summary><c>GET /v1/videos/{id}/content</c>: the finished video, relayed from the owning deployment as it arrives.</summary>
    VideoContent,

    /// <summary><c>DELETE /v1/videos/{id}</c>: deletes the job at its deployment and forgets it.</summary>
    VideoDelete,

    /// <summary><c>POST /v1/videos/{id}/remix</c>: a new job from a finished one, at the deployment that owns it (no routing).</summary>
    VideoRemix,

    /// <summary><c>/v1/files</c> (OpenAI): names the provider path (each call on a file is recorded as <see cref="FileUpload"/> and its kin).</summary>
    Files,

    /// <summary><c>/v1/batches</c> (OpenAI): names the provider path, and the batch's own record, written once when the batch ends.</summary>
    Batches,

    /// <summary><c>POST /v1/files</c>: an upload to the deployment that will hold the file (the call's own record; not routed).</summary>
    FileUpload,

    /// <summary><c>GET /v1/files</c>: the caller's files, newest first, from the gateway's store.</summary>
    FileList,

    /// <summary><c>GET /v1/files/{id}</c>: a file's object, from the deployment that holds it.</summary>
    FileRetrieve,

    /// <summary><c>DELETE /v1/files/{id}</c>: deletes the file at its deployment and forgets it.</summary>
    FileDelete,

    /// <summary><c>GET /v1/files/{id}/content</c>: the file's bytes, relayed from its deployment as they arrive.</summary>
    FileContent,

    /// <summary><c>POST /v1/batches</c>: a batch on the deployment that holds its input file (the call; the batch's cost is <see cref="Batches"/>).</summary>
    BatchCreate,

    /// <summary><c>GET /v1/batches</c>: the caller's batches, newest first, from the gateway's store.</summary>
    BatchList,

    /// <summary><c>GET /v1/batches/{id}</c>: a batch's state, from the deployment that runs it (settles one that ended).</summary>
    BatchRetrieve,

    /// <summary><c>POST /v1/batches/{id}/cancel</c>: cancels a batch at the deployment that runs it.</summary>
    BatchCancel,
}

/// <summary>
/// What the gateway needs to know about an OpenAI request body, with byte offsets so the body can be
/// forwarded after rewriting only the model (and, for streams, <c>stream_options</c>) without a full parse.
/// </summary>
public struct RequestHead
{
    /// <summary>The <c>model</c> value.</summary>
    public string Model;

    /// <summary>Start of the <c>model</c> string token (its opening quote) in the body.</summary>
    public int ModelStart;

    /// <summary>Length of the <c>model</c> token, quotes included.</summary>
    public int ModelLength;

    /// <summary><c>stream: true</c>.</summary>
    public bool Stream;

    /// <summary>The client asked for the usage chunk (<c>stream_options.include_usage: true</c>).</summary>
    public bool ClientWantsUsage;

    /// <summary>Start of the <c>stream_options</c> value token, or -1 when absent.</summary>
    public int StreamOptionsStart;

    /// <summary>Length of the <c>stream_options</c> value, or 0.</summary>
    public int StreamOptionsLength;

    /// <summary>Position of the root object's closing brace.</summary>
    public int RootEnd;

    /// <summary>
    /// Start of a member only the gateway understands (the client's own fallback list, <c>models</c>), with its
    /// separating comma: a passthrough body is forwarded without it (a provider would refuse an unknown field).
    /// </summary>
    public int GatewayFieldStart;

    /// <summary>Length of that member with its comma; 0 when the body has none.</summary>
    public int GatewayFieldLength;

    /// <summary>What the request needs from a deployment (the router skips deployments that lack it).</summary>
    public RequestNeeds Needs;

    /// <summary>The client's own ordered fallback list (OpenRouter-style <c>models: [...]</c>), or null.</summary>
    public string[]? ClientFallbacks;

    /// <summary>The body's <c>user</c> (end-user id), used to keep a user on one arm of a traffic split.</summary>
    public string? User;

    /// <summary>String members of the body's <c>metadata</c> object (for route matching), or null.</summary>
    public List<KeyValuePair<string, string>>? Metadata;
}

/// <summary>Capabilities a request needs, read cheaply from its head (no full parse).</summary>
public struct RequestNeeds
{
    /// <summary>Non-empty <c>tools</c>.</summary>
    public bool Tools;

    /// <summary>Image input somewhere in the messages.</summary>
    public bool Vision;

    /// <summary>JSON-schema structured output.</summary>
    public bool JsonSchema;

    /// <summary>Prompt size estimate: body bytes / 4 (the usual chars-per-token rule; JSON overhead makes it an overestimate).</summary>
    public int EstimatedPromptTokens;

    /// <summary>Requested output cap, if any.</summary>
    public int? MaxOutputTokens;

    /// <summary>
    /// The operation a deployment must serve (<see cref="DeploymentConfig.Operations"/>): the planner leaves out a
    /// deployment that cannot (a chat model for an image request, an image model for chat). Set by ingress.
    /// </summary>
    public Operation Operation;

    /// <summary>What a media request asks for (images, characters, documents), for its budget reservation; null otherwise.</summary>
    public MediaAsk? Media;
}

/// <summary>A request the gateway refuses before routing, with what it names (the OpenAI <c>param</c>).</summary>
public readonly record struct RequestError(string Message, string? Param, string Code);
