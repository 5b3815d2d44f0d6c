namespace Switchyard.LoadTest.Cli;

/// <summary>The help text shown by <c>--help</c>.</summary>
public static class Usage
{
    /// <summary>Every mode and option, with defaults.</summary>
    public const string Text = """
        Switchyard.LoadTest - fake OpenAI upstream + open-loop load generator (loopback only)

        usage: dotnet Switchyard.LoadTest.dll <mode> [options]

        upstream   fake OpenAI upstream on 127.0.0.1 (static precomputed bodies)
          --port N (18080)  --delay-ms N (0, wait before answering)  --chunk-ms N (0, gap between SSE events;
          0 sends the whole stream in one write)  --max-seconds N (0 = run until stopped; else exit after N s)
          POST /v1/chat/completions (JSON, or SSE when the body has "stream":true), POST /v1/embeddings,
          GET /v1/models, GET /health

        drive      open-loop runs at fixed rates, then an optional closed-loop max-throughput run
          --url URL             http://127.x.x.x|localhost|[::1][:port]/path (anything else is refused)
          --body FILE | --stream  request body (default: built-in chat request; --stream: built-in stream request)
          --method M (POST)     --header 'K: V' (repeatable)
          --rates 500,1000,2000 open-loop rates in req/s ('none' = skip)
          --duration S (10)     measured seconds per run (<= 300; rate x duration <= 20 M)     --warmup S (2)  unrecorded lead-in per run
          --connections N (64)  keep-alive pool for open-loop runs
          --max-conns N (0)     >0 adds a closed-loop run with N connections back to back
          --max-duration S (10) measured seconds of that run (<= 120)
          --prewarm S (0)       unrecorded closed-loop warm-up (8 connections) before the first run
          --grace S (5)         wait for in-flight requests after the schedule ends; then they count as timeouts
          --label NAME          --target NAME (label parts in the JSON; default 'target')  --scenario NAME
          --json-out FILE       append one JSON line per run
          --gw-pid PID          report CPU us/req and peak RSS of PID's process group during each run

        compare    drive a gateway and a direct URL at the same loads, alternating, then print a markdown table
          --gateway-url URL  --direct-url URL  --header 'K: V' (both)  --gw-header 'K: V'  --direct-header 'K: V'
          --gw-name NAME (gateway)  --scenario NAME (json, or sse with --stream)
          plus drive's --body/--stream --rates --duration --warmup --connections --max-conns --max-duration
          --prewarm --grace --json-out --gw-pid; --md-out FILE writes the table too

        probe      POST (or GET) until a 2xx answer, for readiness checks
          --url URL  --body FILE|--stream  --method M  --header 'K: V'  --timeout S (60)  --watch-pid PID

        report     render the markdown table from JSON lines written by drive/compare
          --in FILE  --baseline NAME (direct)

        Latency is measured from each request's intended send time t0 + i/rate (coordinated omission
        corrected), percentiles are exact (every sample kept and sorted). Output JSON uses microseconds.

        """;
}
