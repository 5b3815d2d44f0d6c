using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Switchyard.Tests.Architecture;

/// <summary>
/// Methods on the request path fit on one screen, so a reader can hold one in their head.
/// <para>
/// The rule, exactly: every body in a <c>.cs</c> file under <c>src/Switchyard.Gateway/&lt;folder&gt;/</c>
/// (<c>bin/</c> and <c>obj/</c> excluded), for each folder in <see cref="RequestPathFolders"/>, spans at most
/// <see cref="MaxLines"/> lines. A body is that of a method, constructor, destructor, operator or conversion
/// operator, property/indexer/event accessor, expression-bodied property or indexer, local function, lambda or
/// anonymous method. Its length is <c>lastLine - firstLine + 1</c> of the body's syntax span: a block from its
/// opening brace to its closing brace inclusive, an expression body from <c>=&gt;</c> to the end of the
/// expression (a lambda's expression body from the expression's first token). Everything inside counts, blank
/// lines, comments, nested local functions and lambdas included; the declaration line above a block does not.
/// Nested bodies are also measured on their own.
/// </para>
/// <para>
/// Configuration (YAML binding, run once at load) and Hosting (start-up wiring) are outside the request path and
/// not checked; Drill and Canonical are not either (Drill is an operator tool, Canonical holds data types).
/// </para>
/// </summary>
public sealed class MethodLengthTests
{
    /// <summary>The longest body allowed, in lines (the "no method over ~60 lines").</summary>
    internal const int MaxLines = 60;

    /// <summary>Top-level folders of Switchyard.Gateway that a request passes through.</summary>
    internal static readonly string[] RequestPathFolders =
    [
        "Core", "Ingress", "Auth", "Admission", "Conversations", "Routing", "Dispatch", "Usage", "Pipeline", "Upstream", "Health",
        "Storage", "Providers", "Endpoints", "Observability", "Cache",
    ];

    /// <summary>
    /// Bodies allowed over the limit for now, by the name <see cref="Measure"/> gives them. Each entry is a debt
    /// with a reason, not an exemption: once its body is short the entry must go (see
    /// <see cref="Allowlist_NamesOnlyBodiesStillOverTheLimit"/>).
    /// </summary>
    internal static readonly HashSet<string> Allowlist = new(StringComparer.Ordinal)
    {
    };

    [Fact]
    public void RequestPathBodies_FitTheLimit()
    {
        var offenders = GatewayBodies()
            .Where(b => b.Lines > MaxLines && !Allowlist.Contains(b.Name))
            .OrderByDescending(b => b.Lines)
            .ToList();
        Assert.True(offenders.Count == 0,
            $"Bodies longer than {MaxLines} lines on the request path (extract well-named helpers):\n"
            + string.Join("\n", offenders));
    }

    [Fact]
    public void Allowlist_NamesOnlyBodiesStillOverTheLimit()
    {
        // A stale entry would silently let the next long body of that name back in.
        var longOnes = GatewayBodies().Where(b => b.Lines > MaxLines).Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        var stale = Allowlist.Where(name => !longOnes.Contains(name)).ToList();
        Assert.True(stale.Count == 0,
            $"Allowlisted bodies that are now at most {MaxLines} lines (or gone): remove them from {nameof(MethodLengthTests)}.{nameof(Allowlist)}: "
            + string.Join(", ", stale));
    }

    [Fact]
    public void Measure_CountsEveryKindOfBody_BracesIncluded()
    {
        // The counter itself must be able to fail: a 61-line method is reported, a 60-line one is not, and
        // constructors, accessors, local functions and lambdas are each measured and named.
        var source = $$"""
            namespace N;
            public class C
            {
                public C()
                {
                }

                public int P { get { return 1; } }

                public int Q => 2;

                public void Long()
                {
                    {{Lines(59)}}
                }

                public void Exact()
                {
                    {{Lines(58)}}
                }

                public void Outer()
                {
                    void Local()
                    {
                        System.Action a = () =>
                        {
                        };
                    }
                }
            }
            """;
        var bodies = Measure(source, "C.cs").ToDictionary(b => b.Name, b => b.Lines);

        Assert.Equal(61, bodies["N.C.Long"]);
        Assert.Equal(60, bodies["N.C.Exact"]);
        Assert.Equal(2, bodies["N.C..ctor"]);
        Assert.Equal(1, bodies["N.C.P.get"]);
        Assert.Equal(1, bodies["N.C.Q"]);
        Assert.Equal(8, bodies["N.C.Outer"]);
        Assert.Equal(5, bodies["N.C.Outer.Local"]);
        Assert.Equal(2, bodies["N.C.Outer.Local.lambda@141"]);
        Assert.Equal(["N.C.Long"], bodies.Where(b => b.Value > MaxLines).Select(b => b.Key));
    }

    private static string Lines(int count) =>
        string.Join("\n", Enumerable.Range(0, count).Select(i => $"var x{i} = {i};"));

    /// <summary>One measured body: its qualified name, where it starts and how many lines it spans.</summary>
    internal sealed record Body(string Name, string Location, int Lines)
    {
        public override string ToString() => $"  {Lines,4} lines  {Name}  ({Location})";
    }

    private static IEnumerable<Body> GatewayBodies()
    {
        var root = Path.Combine(RepoRoot(), "src", "Switchyard.Gateway");
        foreach (var folder in RequestPathFolders)
        {
            var files = Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories)
                .Where(f => !IsBuildOutput(Path.GetRelativePath(root, f)));
            foreach (var file in files)
            {
                foreach (var body in Measure(File.ReadAllText(file), Path.GetRelativePath(root, file)))
                {
                    yield return body;
                }
            }
        }
    }

    private static bool IsBuildOutput(string relativePath) =>
        relativePath.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj");

    /// <summary>Every body in <paramref name="source"/>, measured by the rule in the class summary.</summary>
    internal static IEnumerable<Body> Measure(string source, string path)
    {
        var tree = CSharpSyntaxTree.ParseText(source, path: path);
        foreach (var node in tree.GetRoot().DescendantNodes())
        {
            if (BodyOf(node) is { } body)
            {
                var span = tree.GetLineSpan(body.Span);
                var lines = span.EndLinePosition.Line - span.StartLinePosition.Line + 1;
                yield return new Body(NameOf(node), $"{path}:{span.StartLinePosition.Line + 1}", lines);
            }
        }
    }

    private static SyntaxNode? BodyOf(SyntaxNode node) => node switch
    {
        BaseMethodDeclarationSyntax m => (SyntaxNode?)m.Body ?? m.ExpressionBody,
        AccessorDeclarationSyntax a => (SyntaxNode?)a.Body ?? a.ExpressionBody,
        BasePropertyDeclarationSyntax p => p switch
        {
            PropertyDeclarationSyntax prop => prop.ExpressionBody,
            IndexerDeclarationSyntax indexer => indexer.ExpressionBody,
            _ => null,
        },
        LocalFunctionStatementSyntax f => (SyntaxNode?)f.Body ?? f.ExpressionBody,
        AnonymousFunctionExpressionSyntax lambda => lambda.Body,
        _ => null,
    };

    /// <summary>Namespace, enclosing types and members, joined by dots: <c>Switchyard.Dispatch.Dispatcher.RunAsync</c>.</summary>
    private static string NameOf(SyntaxNode node)
    {
        var parts = new List<string>();
        for (var n = node; n is not null; n = n.Parent)
        {
            if (PartOf(n) is { } part)
            {
                parts.Add(part);
            }
        }

        parts.Reverse();
        return string.Join(".", parts);
    }

    private static string? PartOf(SyntaxNode node) => node switch
    {
        BaseNamespaceDeclarationSyntax ns => ns.Name.ToString(),
        BaseTypeDeclarationSyntax type => type.Identifier.Text,
        DelegateDeclarationSyntax d => d.Identifier.Text,
        MethodDeclarationSyntax m => m.Identifier.Text,
        ConstructorDeclarationSyntax c => c.Modifiers.Any(SyntaxKind.StaticKeyword) ? ".cctor" : ".ctor",
        DestructorDeclarationSyntax => "Finalize",
        OperatorDeclarationSyntax o => "operator " + o.OperatorToken.Text,
        ConversionOperatorDeclarationSyntax c => "operator " + c.Type,
        PropertyDeclarationSyntax p => p.Identifier.Text,
        IndexerDeclarationSyntax => "this[]",
        EventDeclarationSyntax e => e.Identifier.Text,
        AccessorDeclarationSyntax a => a.Keyword.Text,
        LocalFunctionStatementSyntax f => f.Identifier.Text,
        AnonymousFunctionExpressionSyntax lambda => $"lambda@{lambda.GetLocation().GetLineSpan().StartLinePosition.Line + 1}",
        _ => null,
    };

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Switchyard.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Switchyard.slnx not found above the test output folder");
    }
}
