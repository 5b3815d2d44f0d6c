namespace Switchyard.Tests.TestKit;

/// <summary>
/// One function call the fake "model" makes. When streamed, <see cref="Arguments"/> is sent as several
/// <c>function.arguments</c> fragments, because clients (and the gateway) must concatenate them.
/// </summary>
/// <param name="Name">The function name.</param>
/// <param name="Arguments">The complete JSON arguments string.</param>
public sealed record FakeToolCall(string Name, string Arguments)
{
    /// <summary>The tool call id; when null the fake generates a <c>call_...</c> id per response.</summary>
    public string? Id { get; init; }

    /// <summary>How many argument fragments to stream when <see cref="Fragments"/> is not given.</summary>
    public int FragmentCount { get; init; } = 3;

    /// <summary>Exact argument fragments to stream; their concatenation must equal <see cref="Arguments"/>.</summary>
    public IReadOnlyList<string>? Fragments { get; init; }

    /// <summary>A call streamed with exactly these argument fragments.</summary>
    public static FakeToolCall Fragmented(string name, params string[] fragments) =>
        new(name, string.Concat(fragments)) { Fragments = fragments };

    internal IReadOnlyList<string> ArgumentFragments() => Fragments ?? TextSplitter.Split(Arguments, FragmentCount);

    internal void Validate()
    {
        if (Fragments is not null && string.Concat(Fragments) != Arguments)
        {
            throw new ArgumentException($"Tool call '{Name}': fragments do not concatenate to Arguments.");
        }
    }
}
