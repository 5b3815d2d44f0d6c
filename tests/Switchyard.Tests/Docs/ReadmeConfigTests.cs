using System.Text.RegularExpressions;
using Switchyard.Configuration;

namespace Switchyard.Tests.Docs;

/// <summary>The README's YAML examples are real configurations: they load without a single error, so they cannot drift.</summary>
public partial class ReadmeConfigTests
{
    [GeneratedRegex("```yaml\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();

    private static string Readme()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "README.md");
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "Switchyard.slnx")))
            {
                return File.ReadAllText(candidate);
            }
        }

        throw new FileNotFoundException("README.md not found above the test output folder");
    }

    [Fact]
    public void ReadmeYamlExamples_LoadWithoutErrors()
    {
        var blocks = YamlBlock().Matches(Readme()).Select(m => m.Groups[1].Value).ToList();
        Assert.True(blocks.Count >= 2, "the README should show the configuration file and the routing example");
        foreach (var yaml in blocks)
        {
            // Every referenced variable is "set" for the check: the examples must be valid, not the test machine's environment.
            // Each variable holds a value of its own (two keys with one secret are refused, rightly).
            // A connection string variable (storage.connection_string_env) holds one that parses, a webhook signing secret a whsec_ key.
            var result = ConfigLoader.LoadYaml(yaml, "README", name => name.EndsWith("_URL", StringComparison.Ordinal) ? null
                : name.EndsWith("_CONNECTION", StringComparison.Ordinal) ? "Host=db.internal;Username=switchyard;Password=value;Database=switchyard"
                : name.EndsWith("_WEBHOOK_SECRET", StringComparison.Ordinal) ? "whsec_" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(name))
                : "value-of-" + name);
            Assert.True(result.Errors.Count == 0, string.Join("\n", result.Errors));
        }
    }
}
