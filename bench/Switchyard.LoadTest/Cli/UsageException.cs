namespace Switchyard.LoadTest.Cli;

/// <summary>A bad command line or an argument the tool refuses (out of range, non-loopback target).
/// Reported as one line on stderr with exit code 2, never as a stack trace.</summary>
public sealed class UsageException(string message) : Exception(message);
