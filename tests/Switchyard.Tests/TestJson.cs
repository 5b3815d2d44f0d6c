using System.Text.Json.Serialization;

namespace Switchyard.Tests;

/// <summary>Source-generated JSON for the few values tests serialise.</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class TestJson : JsonSerializerContext;
