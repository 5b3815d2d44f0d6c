using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchyard.Host;

/// <summary>
/// <c>switchyard keys|teams|customers ...</c>: the admin API from a shell. It talks HTTP to a running gateway
/// (<c>--url</c>, default http://127.0.0.1:4000) with the admin key from SWITCHYARD_ADMIN_KEY or
/// SWITCHYARD_MASTER_KEY, prints what the API answers (JSON; lists as a table unless <c>--json</c>), and exits 0 on
/// success, 1 when the gateway refused (its error on stderr), 2 on a usage error.
/// </summary>
internal static class AdminCli
{
    public const string DefaultUrl = "http://127.0.0.1:4000";

    public const string Help = """
          switchyard keys create --name NAME [KEY OPTIONS]       a new key; its secret is printed once
          switchyard keys list [--team T] [--customer C] [--limit N] [--after ID]
          switchyard keys show|revoke ID
          switchyard keys update ID [KEY OPTIONS]
          switchyard keys rotate ID [--grace SECONDS]            a new secret; the old one works SECONDS more (default 0)
          switchyard teams create ID [--name N] [--models M,..] [--limits ..] [--budget ..]
          switchyard teams list | show ID | update ID [...] | delete ID
          switchyard customers create ID --team T [--name N] [--limits ..] [--budget ..]
          switchyard customers list [--team T] | show ID [--team T] | update ID [--team T] [...] | delete ID [--team T]
            KEY OPTIONS: --name N  --role client|operator|admin  --team T  --customer C  --models a,b/*  --routes r1,r2
                         --metadata k=v (repeatable)  --expires 2027-01-31T00:00:00Z|never  --expires-in 30d|12h|90m|3600s
                         --routing-overrides true|false  --limits rpm=60,tpm=100000|none  --budget limit_usd=50,period=monthly|none
                         --model-limits "chat:rpm=10,tpm=20000;openai/gpt-4o:rpm=5"|none  (replaces the key's whole set)
            every command: --url URL (default http://127.0.0.1:4000)  --json; the admin key comes from
                           SWITCHYARD_ADMIN_KEY or SWITCHYARD_MASTER_KEY
        """;

    /// <summary>Runs <c>switchyard RESOURCE ARGS</c>.</summary>
    public static async Task<int> RunAsync(string resource, string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            var cli = CliArgs.Parse(args);
            var request = Build(resource, cli);
            using var http = new HttpClient { BaseAddress = new Uri((cli.Take("url") ?? DefaultUrl).TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(30) };
            var key = Environment.GetEnvironmentVariable("SWITCHYARD_ADMIN_KEY") ?? Environment.GetEnvironmentVariable("SWITCHYARD_MASTER_KEY");
            if (!string.IsNullOrEmpty(key))
            {
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }

            cli.EnsureAllUsed();
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            return Print(resource, cli, (int)response.StatusCode, body, stdout, stderr);
        }
        catch (UsageException ex)
        {
            stderr.WriteLine(ex.Message);
            stderr.WriteLine("usage:");
            stderr.WriteLine(Help);
            return 2;
        }
        catch (HttpRequestException ex)
        {
            stderr.WriteLine($"cannot reach the gateway: {ex.Message} (is it running? --url)");
            return 1;
        }
    }

    private static HttpRequestMessage Build(string resource, CliArgs cli)
    {
        var path = $"v1/admin/{resource}";
        return (cli.Verb, cli.Id) switch
        {
            ("create", var id) => Send(HttpMethod.Post, path, Body(resource, cli, id, create: true)),
            ("list", null) => new HttpRequestMessage(HttpMethod.Get, path + ListQuery(resource, cli)),
            ("show", { } id) => new HttpRequestMessage(HttpMethod.Get, Item(path, id, cli)),
            ("update", { } id) => Send(HttpMethod.Patch, Item(path, id, cli), Body(resource, cli, id, create: false)),
            ("rotate", { } id) when resource == "keys" => Send(HttpMethod.Post, $"{Item(path, id, cli)}/rotate", Grace(cli)),
            ("revoke", { } id) when resource == "keys" => new HttpRequestMessage(HttpMethod.Post, $"{Item(path, id, cli)}/revoke"),
            ("delete", { } id) when resource != "keys" => new HttpRequestMessage(HttpMethod.Delete, Item(path, id, cli)),
            _ => throw new UsageException($"unknown command: switchyard {resource} {cli.Verb} {cli.Id}".TrimEnd()),
        };
    }

    private static string Item(string path, string id, CliArgs cli)
    {
        var team = path.EndsWith("customers", StringComparison.Ordinal) ? cli.Take("team") : null;
        return $"{path}/{Uri.EscapeDataString(id)}" + (team is null ? "" : "?team=" + Uri.EscapeDataString(team));
    }

    private static string ListQuery(string resource, CliArgs cli)
    {
        var query = new List<string>();
        string[] names = resource switch
        {
            "keys" => ["team", "customer", "limit", "after"],
            "customers" => ["team", "limit", "after"],
            _ => ["limit", "after"],
        };
        foreach (var name in names)
        {
            if (cli.Take(name) is { } value)
            {
                query.Add($"{name}={Uri.EscapeDataString(value)}");
            }
        }

        return query.Count == 0 ? "" : "?" + string.Join('&', query);
    }

    private static HttpRequestMessage Send(HttpMethod method, string path, JsonObject body) =>
        new(method, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };

    private static JsonObject Grace(CliArgs cli)
    {
        var body = new JsonObject();
        if (cli.Take("grace") is { } grace)
        {
            body["grace"] = (long)Duration(grace, "--grace").TotalSeconds;
        }

        return body;
    }

    /// <summary>The JSON body of a create or an update, from the options.</summary>
    private static JsonObject Body(string resource, CliArgs cli, string? id, bool create)
    {
        var body = new JsonObject();
        if (resource != "keys" && create)
        {
            body["id"] = id ?? throw new UsageException($"switchyard {resource} create needs an ID");
        }
        else if (resource == "keys" && id is not null && create)
        {
            throw new UsageException("switchyard keys create takes no ID (the gateway assigns one); use --name");
        }

        Text(cli, body, "name", "name");
        if (resource == "keys")
        {
            KeyFields(cli, body);
        }
        else if (resource == "teams")
        {
            ListOption(cli, body, "models", "allowed_models");
        }
        else if (create)
        {
            Text(cli, body, "team", "team");
        }

        Policy(cli, body, "limits", Limits);
        Policy(cli, body, "budget", Budget);
        return body;
    }

    private static void KeyFields(CliArgs cli, JsonObject body)
    {
        Text(cli, body, "role", "role");
        Clearable(cli, body, "team", "team");
        Clearable(cli, body, "customer", "customer");
        ListOption(cli, body, "models", "allowed_models");
        ListOption(cli, body, "routes", "allowed_routes");
        if (cli.Take("routing-overrides") is { } overrides)
        {
            body["allow_routing_overrides"] = overrides switch
            {
                "true" => true,
                "false" => false,
                _ => throw new UsageException("--routing-overrides takes true or false"),
            };
        }

        if (cli.TakeAll("metadata") is { Count: > 0 } pairs)
        {
            var metadata = new JsonObject();
            foreach (var (k, v) in pairs.Select(p => Pair(p, "--metadata")))
            {
                metadata[k] = v;
            }

            body["metadata"] = metadata;
        }

        if (cli.Take("expires") is { } expires)
        {
            body["expires_at"] = expires is "never" or "none" ? null : expires;
        }

        if (cli.Take("expires-in") is { } expiresIn)
        {
            body["expires_in"] = (long)Duration(expiresIn, "--expires-in").TotalSeconds;
        }

        Policy(cli, body, "model-limits", "model_limits", ModelLimits);
    }

    private static void Text(CliArgs cli, JsonObject body, string option, string field)
    {
        if (cli.Take(option) is { } value)
        {
            body[field] = value;
        }
    }

    private static void Clearable(CliArgs cli, JsonObject body, string option, string field)
    {
        if (cli.Take(option) is { } value)
        {
            body[field] = value is "" or "none" ? null : value;
        }
    }

    private static void ListOption(CliArgs cli, JsonObject body, string option, string field)
    {
        if (cli.Take(option) is { } value)
        {
            var list = new JsonArray();
            foreach (var item in value is "" or "none" ? [] : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                list.Add((JsonNode)item);
            }

            body[field] = list;
        }
    }

    private static void Policy(CliArgs cli, JsonObject body, string option, Func<string, JsonObject> parse) => Policy(cli, body, option, option, parse);

    private static void Policy(CliArgs cli, JsonObject body, string option, string field, Func<string, JsonObject> parse)
    {
        if (cli.Take(option) is { } value)
        {
            body[field] = value is "none" or "" ? null : parse(value);
        }
    }

    /// <summary>
    /// <c>MODEL:rpm=10,tpm=20000;MODEL:...</c>. The model ends at the last ':' of its entry, so names with a colon
    /// (<c>llama3:8b</c>, Bedrock's <c>...-v1:0</c>) still work.
    /// </summary>
    private static JsonObject ModelLimits(string text)
    {
        var result = new JsonObject();
        foreach (var entry in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = entry.LastIndexOf(':');
            if (colon <= 0 || !entry.AsSpan(colon + 1).Contains('='))
            {
                throw new UsageException($"--model-limits takes MODEL:rpm=10,tpm=20000;MODEL:..., got '{entry}'");
            }

            result[entry[..colon].Trim()] = Limits(entry[(colon + 1)..], "--model-limits");
        }

        return result;
    }

    private static JsonObject Limits(string text) => Limits(text, "--limits");

    private static JsonObject Limits(string text, string option)
    {
        var limits = new JsonObject();
        foreach (var (k, v) in text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => Pair(p, option)))
        {
            limits[k] = long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw new UsageException($"{option} {k}: '{v}' is not a whole number");
        }

        return limits;
    }

    private static JsonObject Budget(string text)
    {
        var budget = new JsonObject();
        foreach (var (k, v) in text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => Pair(p, "--budget")))
        {
            budget[k] = k switch
            {
                "limit_usd" or "max_reservation_usd" => decimal.TryParse(v, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var usd)
                    ? (JsonNode)usd : throw new UsageException($"--budget {k}: '{v}' is not an amount"),
                "alert_at" => new JsonArray([.. v.Split(';').Select(s => (JsonNode)Share(s))]),
                _ => (JsonNode)v,
            };
        }

        return budget;
    }

    private static double Share(string text) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var share) ? share : throw new UsageException($"--budget alert_at: '{text}' is not a share such as 0.8");

    private static (string Key, string Value) Pair(string text, string option)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        return eq > 0 ? (text[..eq].Trim(), text[(eq + 1)..].Trim()) : throw new UsageException($"{option} takes key=value, got '{text}'");
    }

    /// <summary><c>30d</c>, <c>12h</c>, <c>90m</c>, <c>3600s</c> or a bare number of seconds.</summary>
    internal static TimeSpan Duration(string text, string option)
    {
        var unit = text.Length > 0 && char.IsAsciiLetter(text[^1]) ? text[^1] : 's';
        var number = char.IsAsciiLetter(unit) && text.Length > 0 && char.IsAsciiLetter(text[^1]) ? text[..^1] : text;
        if (!long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            throw new UsageException($"{option}: '{text}' is not a duration such as 30d, 12h, 90m or 3600s");
        }

        return unit switch
        {
            'd' => TimeSpan.FromDays(n),
            'h' => TimeSpan.FromHours(n),
            'm' => TimeSpan.FromMinutes(n),
            's' => TimeSpan.FromSeconds(n),
            _ => throw new UsageException($"{option}: unknown unit '{unit}' (use d, h, m or s)"),
        };
    }

    private static int Print(string resource, CliArgs cli, int status, string body, TextWriter stdout, TextWriter stderr)
    {
        JsonNode? json;
        try
        {
            json = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            stderr.WriteLine($"the gateway answered {status} with a body that is not JSON: {body}");
            return 1;
        }

        if (status >= 400)
        {
            var error = json?["error"];
            stderr.WriteLine($"error {status} ({error?["code"]}): {error?["message"]}");
            return 1;
        }

        if (cli.Verb == "list" && !cli.Json)
        {
            PrintTable(resource, json!, stdout);
            return 0;
        }

        var pretty = new MemoryStream();
        using (var w = new Utf8JsonWriter(pretty, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json!.WriteTo(w);
        }

        stdout.WriteLine(Encoding.UTF8.GetString(pretty.ToArray()));
        if (json["key"] is not null)
        {
            stderr.WriteLine("The key (\"key\") is shown only now: the gateway keeps only its hash. Store it safely.");
        }

        return 0;
    }

    private static void PrintTable(string resource, JsonNode list, TextWriter stdout)
    {
        string[] columns = resource switch
        {
            "keys" => ["id", "name", "source", "status", "role", "team", "customer", "prefix", "expires_at"],
            "teams" => ["id", "name", "source"],
            _ => ["id", "team", "name", "source"],
        };
        var rows = list["data"]!.AsArray().Select(item => columns.Select(c => item![c]?.ToString() ?? "-").ToArray()).ToList();
        var widths = columns.Select((c, i) => Math.Max(c.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        stdout.WriteLine(string.Join("  ", columns.Select((c, i) => c.ToUpperInvariant().PadRight(widths[i]))).TrimEnd());
        foreach (var row in rows)
        {
            stdout.WriteLine(string.Join("  ", row.Select((v, i) => v.PadRight(widths[i]))).TrimEnd());
        }

        if (list["has_more"]?.GetValue<bool>() == true)
        {
            stdout.WriteLine($"(more: --after {list["last_id"]})");
        }
    }
}

/// <summary>A command line's error: printed with the usage, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary><c>VERB [ID] --option value ... [--json]</c>; every option must be used by the command it was given to.</summary>
internal sealed class CliArgs
{
    private readonly List<(string Name, string Value)> options = [];
    private readonly HashSet<int> used = [];

    public string Verb { get; private set; } = "";

    public string? Id { get; private set; }

    public bool Json { get; private set; }

    public static CliArgs Parse(string[] args)
    {
        var cli = new CliArgs();
        var positional = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--json")
            {
                cli.Json = true;
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                var eq = args[i].IndexOf('=', StringComparison.Ordinal);
                if (eq > 2)
                {
                    cli.options.Add((args[i][2..eq], args[i][(eq + 1)..]));
                }
                else if (i + 1 < args.Length)
                {
                    cli.options.Add((args[i][2..], args[++i]));
                }
                else
                {
                    throw new UsageException($"{args[i]} needs a value");
                }
            }
            else
            {
                positional.Add(args[i]);
            }
        }

        if (positional.Count is 0 or > 2)
        {
            throw new UsageException(positional.Count == 0 ? "missing command" : $"unexpected argument '{positional[2]}'");
        }

        cli.Verb = positional[0];
        cli.Id = positional.Count > 1 ? positional[1] : null;
        return cli;
    }

    /// <summary>The option's value (the last one given), or null.</summary>
    public string? Take(string name)
    {
        string? value = null;
        for (var i = 0; i < options.Count; i++)
        {
            if (options[i].Name == name)
            {
                used.Add(i);
                value = options[i].Value;
            }
        }

        return value;
    }

    /// <summary>Every value of a repeatable option.</summary>
    public List<string> TakeAll(string name)
    {
        var values = new List<string>();
        for (var i = 0; i < options.Count; i++)
        {
            if (options[i].Name == name)
            {
                used.Add(i);
                values.Add(options[i].Value);
            }
        }

        return values;
    }

    /// <summary>Refuses an option the command did not read (a typo must not be ignored).</summary>
    public void EnsureAllUsed()
    {
        for (var i = 0; i < options.Count; i++)
        {
            if (!used.Contains(i))
            {
                throw new UsageException($"unknown option --{options[i].Name} for '{Verb}'");
            }
        }
    }
}
