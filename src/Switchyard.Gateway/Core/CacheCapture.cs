using System.Buffers;
using Switchyard.Canonical;

namespace Switchyard.Core;

/// <summary>What a <see cref="CacheCapture"/> holds, which decides how the cache turns it into canonical events.</summary>
public enum CaptureForm
{
    /// <summary>Nothing yet.</summary>
    None,

    /// <summary>Raw stream bytes in the upstream's protocol (a passthrough relay): decoded by its adapter when stored.</summary>
    UpstreamStream,

    /// <summary>A whole body in the upstream's protocol (a passthrough answer): parsed by its adapter when stored.</summary>
    UpstreamBody,

    /// <summary>Canonical events (a translated stream).</summary>
    Events,

    /// <summary>A canonical whole answer (a translated one).</summary>
    Answer,
}

/// <summary>
/// What the committed attempt delivered, kept for the exact cache (docs/adr/0015-cache.md). Dispatch only copies, after
/// the commit point and only for requests the cache may store; the cache's store stage decodes it, and only when the
/// answer ended properly (<see cref="Complete"/>). Bounded: past <c>cache.max_entry_bytes</c> it drops what it holds and
/// keeps nothing more (the answer still reaches the client, it is just not stored). Not thread-safe: one attempt writes it.
/// </summary>
public sealed class CacheCapture(long maxBytes)
{
    private ArrayBufferWriter<byte>? raw;
    private List<StreamEvent>? events;
    private long eventBytes;

    /// <summary>How to read what is held.</summary>
    public CaptureForm Form { get; private set; }

    /// <summary>The deployment that answered.</summary>
    public DeploymentTarget? Deployment { get; private set; }

    /// <summary>Its adapter (decodes <see cref="CaptureForm.UpstreamStream"/>, parses <see cref="CaptureForm.UpstreamBody"/>).</summary>
    public IProviderAdapter? Adapter { get; private set; }

    /// <summary>The answer reached its proper end (a stream's terminator, a whole body).</summary>
    public bool Complete { get; private set; }

    /// <summary>The answer outgrew the bound: nothing is stored.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>The raw bytes (<see cref="CaptureForm.UpstreamStream"/>, <see cref="CaptureForm.UpstreamBody"/>).</summary>
    public ReadOnlySpan<byte> Raw => raw is null ? default : raw.WrittenSpan;

    /// <summary>The canonical events (<see cref="CaptureForm.Events"/>).</summary>
    public IReadOnlyList<StreamEvent> Events => events ?? (IReadOnlyList<StreamEvent>)[];

    /// <summary>The canonical whole answer (<see cref="CaptureForm.Answer"/>).</summary>
    public ChatResponse? Answer { get; private set; }

    /// <summary>Keeps relayed bytes of <paramref name="deployment"/>'s answer (a passthrough stream or body).</summary>
    public void AddRaw(ReadOnlySpan<byte> bytes, DeploymentTarget deployment, IProviderAdapter adapter, bool stream)
    {
        if (Overflowed || !Claim(deployment, stream ? CaptureForm.UpstreamStream : CaptureForm.UpstreamBody))
        {
            return;
        }

        Adapter = adapter;
        raw ??= new ArrayBufferWriter<byte>(Math.Max(bytes.Length, 1024));
        if (raw.WrittenCount + (long)bytes.Length > maxBytes)
        {
            Overflow();
            return;
        }

        raw.Write(bytes);
    }

    /// <summary>Keeps one canonical event of a translated stream.</summary>
    public void Add(in StreamEvent e, DeploymentTarget deployment)
    {
        if (Overflowed || !Claim(deployment, CaptureForm.Events))
        {
            return;
        }

        eventBytes += EstimatedBytes(e);
        if (eventBytes > maxBytes)
        {
            Overflow();
            return;
        }

        (events ??= []).Add(e);
    }

    /// <summary>Keeps a translated whole answer.</summary>
    public void SetAnswer(ChatResponse answer, DeploymentTarget deployment)
    {
        if (Claim(deployment, CaptureForm.Answer))
        {
            Answer = answer;
        }
    }

    /// <summary>The answer ended properly: what is held is all of it.</summary>
    public void Completed() => Complete = !Overflowed;

    /// <summary>Memory one event holds (its strings as UTF-16, plus the struct), for the bound and the entry's size.</summary>
    public static long EstimatedBytes(in StreamEvent e) =>
        64 + 2L * ((e.Text?.Length ?? 0) + (e.Id?.Length ?? 0) + (e.Name?.Length ?? 0) + (e.Model?.Length ?? 0) + (e.ErrorCode?.Length ?? 0));

    /// <summary>One form from one deployment per capture; anything else (which the commit rule rules out) voids it.</summary>
    private bool Claim(DeploymentTarget deployment, CaptureForm form)
    {
        if (Form == CaptureForm.None)
        {
            Form = form;
            Deployment = deployment;
            return true;
        }

        if (Form == form && ReferenceEquals(Deployment, deployment))
        {
            return true;
        }

        Overflow();
        return false;
    }

    private void Overflow()
    {
        Overflowed = true;
        Complete = false;
        raw = null;
        events = null;
        Answer = null;
    }
}
