namespace Switchyard.Core;

/// <summary>
/// Whether the gateway may take model traffic as far as its usage records are concerned: Admission asks it
/// before every request (implemented by the usage writer; Admission must not import Usage). Traffic is
/// refused only when no store (neither the database nor the usage journal) takes records and
/// <c>usage.on_store_failure</c> is <c>refuse</c>: every answered request must leave a record to bill from.
/// </summary>
public interface IUsageRecordingGate
{
    /// <summary>Null when requests may be served; otherwise why not (for the 503 and the readiness probe).</summary>
    string? RefusalReason { get; }
}
