using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

/// <summary>The <c>usage:</c> section: the store-failure policy and the bounds.</summary>
public sealed class UsageConfigTests
{
    [Fact]
    public void LoadYaml_NoUsageSection_RefusesByDefault()
    {
        var config = LoadValid("models: {}\n");

        Assert.Equal(UsageSettings.Default, config.Usage);
        Assert.Equal(UsageStoreFailurePolicy.Refuse, config.Usage.OnStoreFailure);
        Assert.Equal(50_000, config.Usage.MemoryBuffer);
        Assert.Equal(1L << 30, config.Usage.JournalMaxBytes);
        Assert.Equal(TimeSpan.FromSeconds(5), config.Usage.DatabaseBusyTimeout);
    }

    [Fact]
    public void LoadYaml_EveryUsageKey_IsBound()
    {
        var config = LoadValid("""
            usage:
              on_store_failure: accept_unrecorded
              memory_buffer: 1000
              journal_max_size: 64MiB
              database_busy_timeout: 250ms
            """);

        Assert.Equal(UsageStoreFailurePolicy.AcceptUnrecorded, config.Usage.OnStoreFailure);
        Assert.Equal(1000, config.Usage.MemoryBuffer);
        Assert.Equal(64L << 20, config.Usage.JournalMaxBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(250), config.Usage.DatabaseBusyTimeout);
    }

    [Fact]
    public void LoadYaml_BadUsageValues_AreEachReportedWithTheirPath()
    {
        var errors = LoadErrors("""
            usage:
              on_store_failure: refuze
              memory_buffer: 0
              journal_max_size: 10KiB
              database_busy_timeout: 2h
              spool: off
            """);

        Assert.Equal(
        [
            "usage.spool: unknown key",
            "usage.on_store_failure: unknown value 'refuze' (did you mean 'refuse'?); use refuse or accept_unrecorded",
            "usage.memory_buffer: must be between 1 and 10000000",
            "usage.journal_max_size: must be at least 1MiB",
            "usage.database_busy_timeout: must be between 1ms and 1m",
        ], errors);
    }
}
