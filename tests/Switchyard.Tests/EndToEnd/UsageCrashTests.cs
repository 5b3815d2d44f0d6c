using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Switchyard.Tests.EndToEnd;

/// <summary>
/// The real process, killed: the CLI host (<c>switchyard serve</c>) runs as a child process, serves load,
/// is killed with SIGKILL (once with a healthy database, once while the database is locked, as in a stall),
/// and is started again on the same data directory. Every request answered more than the durability window
/// before the kill must have its record, exactly once.
/// </summary>
public sealed partial class UsageCrashTests(ITestOutputHelper output)
{
    /// <summary>The stated bound (docs/adr/0004-usage-durability.md): a record is fsynced within 50 ms of its response ending.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Slack on top of <see cref="Window"/>: the window holds while an fsync takes under ~25 ms, and on the
    /// shared two-core VM these tests run on single fsyncs were measured stalling up to ~150 ms (other builds
    /// write to the same disk), so a record can wait two stalls; the client also reads the last byte a little
    /// after the server wrote it, and the kill lands a little after the test asked for it. The margin widens
    /// what the test tolerates, never what it asserts as a time; the gateway's own measured lag is printed.
    /// </summary>
    private static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(450);

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    /// <summary>Answered requests per phase (before the lock, then under it): about a second of load each here.</summary>
    private const int PhaseRequests = 800;

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task KillDashNine_UnderLoad_EveryRequestAnsweredBeforeTheWindowHasItsRecordOnce(bool databaseLocked)
    {
        var dir = Directory.CreateTempSubdirectory("switchyard-crash-").FullName;
        var data = Path.Combine(dir, "data");
        var config = Path.Combine(dir, "switchyard.yaml");
        File.WriteAllText(config, "models: {}\n");
        SqliteConnection? blocker = null;
        try
        {
            var answered = new ConcurrentBag<(string Id, long EndedAt)>();
            long killedAt;
            string lag;
            using (var first = await GatewayProcess.StartAsync(config, data))
            {
                using var stop = new CancellationTokenSource();
                var load = Enumerable.Range(0, 4).Select(w => LoadAsync(first.BaseAddress, w, answered, stop.Token)).ToArray();
                await WaitForAsync(() => answered.Count >= PhaseRequests);
                if (databaseLocked)
                {
                    // A stalled database: the gateway's writes wait (busy) while the load goes on.
                    blocker = Lock(Path.Combine(data, "switchyard.db"));
                }

                await WaitForAsync(() => answered.Count >= 2 * PhaseRequests);
                lag = await DurabilityLagAsync(first.BaseAddress);
                killedAt = Stopwatch.GetTimestamp();
                first.Kill();
                await stop.CancelAsync();
                await Task.WhenAll(load);
            }

            blocker?.Dispose();
            blocker = null;
            var cutoff = killedAt - (long)((Window + Margin).TotalSeconds * Stopwatch.Frequency);
            var mustHave = answered.Where(a => a.EndedAt <= cutoff).Select(a => a.Id).ToHashSet(StringComparer.Ordinal);

            // The restarted gateway replays the journal from the database's checkpoint; once its backlog is
            // empty, what the database holds is all there will be.
            using var second = await GatewayProcess.StartAsync(config, data);
            await ReplayedAsync(second.BaseAddress);
            var stored = StoredIds(data);

            var (rows, distinct, conflicts) = Counts(data);
            var missing = answered.Where(a => !stored.Contains(a.Id)).ToList();
            var oldestMissingAge = missing.Count == 0 ? "none" : $"{Stopwatch.GetElapsedTime(missing.Min(a => a.EndedAt), killedAt).TotalMilliseconds:0.#} ms";
            output.WriteLine(
                $"database {(databaseLocked ? "locked" : "healthy")} at the kill: {answered.Count} answered, {mustHave.Count} answered more than "
                + $"{(Window + Margin).TotalMilliseconds} ms before the kill, {answered.Count(a => stored.Contains(a.Id))} of the answered recorded; "
                + $"{missing.Count} missing, the oldest of them ended {oldestMissingAge} before the kill; {rows} rows, {conflicts} conflicts; "
                + $"the gateway's own durability lag (response settled → on disk) just before the kill: {lag}");

            Assert.Equal(rows, distinct);
            Assert.Equal(0, conflicts);
            var lost = mustHave.Where(id => !stored.Contains(id)).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} answered requests have no record, e.g. {string.Join(", ", lost.Take(5))}");
        }
        finally
        {
            blocker?.Dispose();
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>One client: plain and streamed echo requests in turn, noting each answered request's id and when its body ended.</summary>
    private static async Task LoadAsync(Uri gateway, int worker, ConcurrentBag<(string, long)> answered, CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(10) };
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var stream = (i + worker) % 2 == 0 ? "true" : "false";
            using var content = new StringContent(
                $$"""{"model":"switchyard/echo","stream":{{stream}},"messages":[{"role":"user","content":"crash test {{worker}}/{{i}}"}]}""",
                Encoding.UTF8, "application/json");
            try
            {
                using var response = await http.PostAsync("/v1/chat/completions", content, stop);
                await response.Content.ReadAsStringAsync(stop);
                var ended = Stopwatch.GetTimestamp();
                if ((int)response.StatusCode == 200)
                {
                    answered.Add((GatewayHarness.RecordId(response), ended));
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                // The process was killed under this request: it was never answered.
                return;
            }
        }
    }

    private static async Task<string> DurabilityLagAsync(Uri gateway)
    {
        using var http = new HttpClient { BaseAddress = gateway, Timeout = Bound };
        var usage = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("/health/ready"))!["usage"]!;
        return $"last {usage["durability_lag_ms"]} ms, max {usage["max_durability_lag_ms"]} ms";
    }

    private static async Task ReplayedAsync(Uri gateway)
    {
        using var http = new HttpClient { BaseAddress = gateway, Timeout = Bound };
        using var deadline = new CancellationTokenSource(Bound);
        while (true)
        {
            var body = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("/health/ready", deadline.Token))!;
            if (body["usage"]!["journal_backlog_bytes"]!.GetValue<long>() == 0)
            {
                return;
            }

            await Task.Delay(10, deadline.Token);
        }
    }

    private static SqliteConnection Lock(string db)
    {
        var connection = new SqliteConnection($"Data Source={db};Pooling=False;Default Timeout=10");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA busy_timeout = 10000; BEGIN EXCLUSIVE";
        cmd.ExecuteNonQuery();
        return connection;
    }

    private static HashSet<string> StoredIds(string data)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(data, "switchyard.db")};Pooling=False;Mode=ReadOnly");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT request_id FROM usage_records";
        using var rd = cmd.ExecuteReader();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (rd.Read())
        {
            ids.Add(rd.GetString(0));
        }

        return ids;
    }

    private static (long Rows, long Distinct, long Conflicts) Counts(string data)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(data, "switchyard.db")};Pooling=False;Mode=ReadOnly");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*), count(DISTINCT request_id), (SELECT count(*) FROM usage_record_conflicts) FROM usage_records";
        using var rd = cmd.ExecuteReader();
        rd.Read();
        return (rd.GetInt64(0), rd.GetInt64(1), rd.GetInt64(2));
    }

    /// <summary>Polls <paramref name="condition"/> until true, bounded by <see cref="Bound"/>.</summary>
    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(Bound);
        while (!condition())
        {
            await Task.Delay(10, deadline.Token);
        }
    }

    /// <summary>The CLI host as a child process (<c>dotnet switchyard.dll serve</c>), built with the tests.</summary>
    private sealed class GatewayProcess : IDisposable
    {
        private readonly Process process;

        private GatewayProcess(Process process, Uri baseAddress)
        {
            this.process = process;
            BaseAddress = baseAddress;
        }

        public Uri BaseAddress { get; }

        public static async Task<GatewayProcess> StartAsync(string config, string data)
        {
            var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { HostDll(), "serve", "--config", config, "--urls", "http://127.0.0.1:0", "--data", data })
            {
                info.ArgumentList.Add(arg);
            }

            foreach (var name in new[] { "SWITCHYARD_MASTER_KEY", "SWITCHYARD_CONFIG", "SWITCHYARD_URLS", "SWITCHYARD_DATA" })
            {
                info.Environment.Remove(name);
            }

            var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the gateway process");
            var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            var log = new StringBuilder();
            void OnLine(object sender, DataReceivedEventArgs e)
            {
                if (e.Data is null)
                {
                    return;
                }

                lock (log)
                {
                    log.AppendLine(e.Data);
                }

                if (Listening().Match(e.Data) is { Success: true } m)
                {
                    listening.TrySetResult(new Uri(m.Groups[1].Value));
                }
            }

            process.OutputDataReceived += OnLine;
            process.ErrorDataReceived += OnLine;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                var address = await listening.Task.WaitAsync(Bound);
                return new GatewayProcess(process, address);
            }
            catch (TimeoutException)
            {
                process.Kill();
                process.Dispose();
                throw new TimeoutException($"the gateway did not start within {Bound}:\n{log}");
            }
        }

        /// <summary>SIGKILL: no shutdown, no flush, nothing but what is already on disk.</summary>
        public void Kill()
        {
            process.Kill();
            process.WaitForExit();
        }

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }

            process.Dispose();
        }

        /// <summary>src/Switchyard's build output, in the configuration the tests were built in.</summary>
        private static string HostDll()
        {
            var bin = AppContext.BaseDirectory;
            var configuration = bin.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
            for (var dir = new DirectoryInfo(bin); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Switchyard.slnx")))
                {
                    var dll = Path.Combine(dir.FullName, "src", "Switchyard", "bin", configuration, "net10.0", "switchyard.dll");
                    return File.Exists(dll) ? dll : throw new FileNotFoundException($"the host is not built: {dll}");
                }
            }

            throw new FileNotFoundException("Switchyard.slnx not found above the test output folder");
        }
    }
}
