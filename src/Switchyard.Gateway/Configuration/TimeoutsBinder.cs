using System.Collections.Frozen;
using YamlDotNet.RepresentationModel;

namespace Switchyard.Configuration;

/// <summary>
/// Binds a <c>timeouts:</c> block. Each field overrides the same field of the level above
/// (deployment → provider → <see cref="Timeouts.Default"/>), so one slow model can get a longer first-byte
/// limit without restating the others.
/// </summary>
internal static class TimeoutsBinder
{
    private static readonly FrozenSet<string> Keys =
        FrozenSet.Create(StringComparer.Ordinal, "connect", "first_byte", "idle", "total");

    public static Timeouts Bind(BindContext ctx, YamlNode? node, string path, Timeouts inherited)
    {
        var map = ctx.Map(node, path, Keys);
        if (map is null)
        {
            return inherited;
        }

        return new Timeouts(
            ctx.Duration(map["connect"], map.PathOf("connect")) ?? inherited.Connect,
            ctx.Duration(map["first_byte"], map.PathOf("first_byte")) ?? inherited.FirstByte,
            ctx.Duration(map["idle"], map.PathOf("idle")) ?? inherited.Idle,
            ctx.Duration(map["total"], map.PathOf("total")) ?? inherited.Total);
    }
}
