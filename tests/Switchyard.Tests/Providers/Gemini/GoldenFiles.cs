using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Switchyard.Tests.Providers.Gemini;

/// <summary>
/// Golden files under <c>Providers/Gemini/Golden/{Outbound|Inbound}/{case}/</c>: inputs are hand-written wire
/// payloads, expected outputs are compared exactly. JSON outputs are stored indented (2 spaces) for review: the
/// only normalisation is that layout (and the string escapes a re-write picks); property order and values are compared as produced. SSE
/// outputs are stored and compared byte for byte. Set <c>SWITCHYARD_UPDATE_GOLDEN=1</c> to (re)write the
/// expected files in the source tree from the actual output, then review the diff.
/// </summary>
internal static class GoldenFiles
{
    private static readonly JsonWriterOptions Pretty = new()
    {
        Indented = true,
        NewLine = "\n",
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The copied golden tree next to the test assembly.</summary>
    public static string Root => Path.Combine(AppContext.BaseDirectory, "Providers", "Gemini", "Golden");

    private static bool Updating => Environment.GetEnvironmentVariable("SWITCHYARD_UPDATE_GOLDEN") == "1";

    /// <summary>Every (case, step) of <paramref name="direction"/>; a step exists when its input file does.</summary>
    public static TheoryData<string, string> Cases(string direction, params (string Input, string Step)[] steps)
    {
        var data = new TheoryData<string, string>();
        foreach (var dir in Directory.GetDirectories(Path.Combine(Root, direction)).Order(StringComparer.Ordinal))
        {
            foreach (var (input, step) in steps)
            {
                if (File.Exists(Path.Combine(dir, input)))
                {
                    data.Add(Path.GetFileName(dir), step);
                }
            }
        }

        return data;
    }

    public static string Read(string direction, string name, string file) => File.ReadAllText(Path.Combine(Root, direction, name, file));

    public static byte[] ReadBytes(string direction, string name, string file) => File.ReadAllBytes(Path.Combine(Root, direction, name, file));

    public static bool Exists(string direction, string name, string file) => File.Exists(Path.Combine(Root, direction, name, file));

    /// <summary>JSON re-indented, nothing else changed.</summary>
    public static string Indent(string json)
    {
        using var doc = JsonDocument.Parse(json);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, Pretty))
        {
            doc.RootElement.WriteTo(w);
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>Compares <paramref name="actual"/> with the expected file (or writes it when updating).</summary>
    public static void Match(string direction, string name, string file, string actual, [CallerFilePath] string source = "")
    {
        if (Updating)
        {
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(source)!, "Golden", direction, name, file), actual);
            return;
        }

        var path = Path.Combine(Root, direction, name, file);
        Assert.True(File.Exists(path), $"Missing golden file {direction}/{name}/{file}; actual output was:\n{actual}");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
