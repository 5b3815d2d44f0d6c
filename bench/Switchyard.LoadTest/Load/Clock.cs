using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Switchyard.LoadTest.Load;

/// <summary>Monotonic timestamps (<see cref="Stopwatch"/> ticks, nanoseconds on Linux) and a sub-millisecond
/// sleep for the send scheduler.</summary>
public static class Clock
{
    /// <summary>Now, in <see cref="Stopwatch"/> ticks.</summary>
    public static long Now => Stopwatch.GetTimestamp();

    /// <summary>Seconds to ticks.</summary>
    public static long Ticks(double seconds) => (long)(seconds * Stopwatch.Frequency);

    /// <summary>Ticks to microseconds.</summary>
    public static double Micros(long ticks) => ticks * 1e6 / Stopwatch.Frequency;

    /// <summary>Ticks to seconds.</summary>
    public static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;

    /// <summary>
    /// Blocks the calling thread until <paramref name="due"/>. Thread.Sleep only has millisecond granularity,
    /// which at 2,000 rps would batch sends and add up to 1 ms to every latency, so on Linux this calls
    /// nanosleep directly (~50 µs wake-up, like olg's timerfd). Never spins: CPU 0 is shared with the mock.
    /// </summary>
    public static void SleepUntil(long due)
    {
        while (true)
        {
            var remaining = due - Now;
            if (remaining <= 0) return;
            if (OperatingSystem.IsLinux())
            {
                var ns = (long)(remaining * (1e9 / Stopwatch.Frequency));
                var ts = new Timespec { Seconds = ns / 1_000_000_000, Nanoseconds = ns % 1_000_000_000 };
                _ = NativeMethods.nanosleep(ref ts, IntPtr.Zero); // EINTR: the loop re-computes what is left
            }
            else
            {
                Thread.Sleep(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, remaining * TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
            }
        }
    }

    /// <summary>
    /// Asks the kernel for 1 µs timer slack on the calling thread (default 50 µs), so nanosleep wakes when
    /// asked instead of up to 50 µs later. Best effort; ignored off Linux.
    /// </summary>
    public static void TightenTimerSlack()
    {
        if (!OperatingSystem.IsLinux()) return;
        const int PrSetTimerSlack = 29;
        _ = NativeMethods.prctl(PrSetTimerSlack, 1000, 0, 0, 0);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = false)]
        public static extern int nanosleep(ref Timespec req, IntPtr rem);

        [DllImport("libc", SetLastError = false)]
        public static extern int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
    }
}
