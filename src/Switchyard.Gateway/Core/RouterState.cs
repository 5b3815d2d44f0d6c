namespace Switchyard.Core;

/// <summary>
/// Holds the live <see cref="RouteTable"/>. A reload builds a new table off to the side and swaps the
/// reference; a request reads <see cref="Current"/> once and keeps that table for its whole life, so a
/// reload never changes a request's view halfway through.
/// </summary>
public sealed class RouterState(RouteTable initial)
{
    private RouteTable current = initial;

    /// <summary>The table new requests use.</summary>
    public RouteTable Current => Volatile.Read(ref current);

    /// <summary>Replaces the table atomically.</summary>
    public void Swap(RouteTable next) => Volatile.Write(ref current, next);
}
