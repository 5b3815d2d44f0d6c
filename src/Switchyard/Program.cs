using Switchyard.Auth;
using Switchyard.Configuration;
using Switchyard.Hosting;
using Switchyard.Host;

// The composition root and CLI. Everything else lives in Switchyard.Gateway.
//   switchyard [serve] [--config FILE] [--urls URL] [--data DIR]   run the gateway
//   switchyard config validate FILE                               check a config offline (exit 1 on errors)
//   switchyard key new | key hash [KEY]                           make a client key / its config hash
//   switchyard keys|teams|customers ...                           the admin API of a running gateway (AdminCli)
//   switchyard prices [--config FILE]                             the price book / each deployment's price
return args switch
{
    ["config", "validate", var file] => Validate(file),
    [var resource and ("keys" or "teams" or "customers"), .. var rest] => await AdminCli.RunAsync(resource, rest, Console.Out, Console.Error),
    ["prices"] => Print(Switchyard.Providers.PriceListing.Book(Switchyard.Providers.ProviderCatalog.Default)),
    ["prices", "--config", var file] => Prices(file),
    ["key", "new"] => NewKey(),
    ["key", "hash"] => Hash(Console.In.ReadLine() ?? ""),
    ["key", "hash", var key] => Hash(key),
    ["--help" or "-h" or "help", ..] => Usage(0),
    _ => await ServeAsync(args is ["serve", .. var rest] ? rest : args),
};

static async Task<int> ServeAsync(string[] args)
{
    string? config = null, urls = null, data = null;
    for (var i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--config" when i + 1 < args.Length: config = args[++i]; break;
            case "--urls" when i + 1 < args.Length: urls = args[++i]; break;
            case "--data" when i + 1 < args.Length: data = args[++i]; break;
            default:
                Console.Error.WriteLine($"unknown argument '{args[i]}'");
                return Usage(2);
        }
    }

    var options = new GatewayStartOptions
    {
        ConfigPath = config ?? Environment.GetEnvironmentVariable("SWITCHYARD_CONFIG"),
        Urls = urls ?? Environment.GetEnvironmentVariable("SWITCHYARD_URLS") ?? GatewayStartOptions.DefaultUrls,
        DataDirectory = data ?? Environment.GetEnvironmentVariable("SWITCHYARD_DATA"),
    };
    try
    {
        await using var app = await GatewayApp.StartAsync(options);
        await app.WaitForShutdownAsync();
        return 0;
    }
    catch (ConfigurationRejectedException ex)
    {
        Console.Error.WriteLine(ex.Message);
        Console.Error.WriteLine("The gateway did not start.");
        return 1;
    }
    catch (InvalidOperationException ex)
    {
        Console.Error.WriteLine(ex.Message);
        return 1;
    }
}

static int Validate(string file)
{
    var result = ConfigLoader.LoadFile(file, Environment.GetEnvironmentVariable);
    if (result.Config is { } c)
    {
        Console.WriteLine($"{file}: ok ({c.Providers.Count} providers, {c.Deployments.Count} deployments, {c.Models.Count} models)");
        return 0;
    }

    foreach (var error in result.Errors)
    {
        Console.Error.WriteLine(error);
    }

    Console.Error.WriteLine($"{file}: {result.Errors.Count} error(s)");
    return 1;
}

static int Print(string text)
{
    Console.Write(text);
    return 0;
}

static int Prices(string file)
{
    var result = ConfigLoader.LoadFile(file, Environment.GetEnvironmentVariable);
    if (result.Config is { } config)
    {
        return Print(Switchyard.Providers.PriceListing.Deployments(config));
    }

    return Validate(file);
}

static int NewKey()
{
    var key = VirtualKeySecrets.NewSecret();
    Console.WriteLine($"key:  {key}");
    Console.WriteLine($"hash: {KeyAuthenticator.FormatHash(key)}   (put this under auth.keys[].hash; the key itself is shown only now)");
    return 0;
}

static int Hash(string key)
{
    if (key.Length == 0)
    {
        Console.Error.WriteLine("no key given");
        return 2;
    }

    Console.WriteLine(KeyAuthenticator.FormatHash(key.Trim()));
    return 0;
}

static int Usage(int code)
{
    Console.WriteLine("""
        usage:
          switchyard [serve] [--config FILE] [--urls URL] [--data DIR]
          switchyard config validate FILE
          switchyard key new
          switchyard key hash [KEY]        (reads the key from stdin when omitted)
          switchyard prices [--config FILE]   (the price book, or what each deployment of FILE is costed at)
        """);
    Console.WriteLine(AdminCli.Help);
    Console.WriteLine("""
        environment: SWITCHYARD_MASTER_KEY, SWITCHYARD_ADMIN_KEY (keys|teams|customers), SWITCHYARD_CONFIG, SWITCHYARD_URLS, SWITCHYARD_DATA, provider keys (OPENAI_API_KEY, GROQ_API_KEY, ...)
        """);
    return code;
}
