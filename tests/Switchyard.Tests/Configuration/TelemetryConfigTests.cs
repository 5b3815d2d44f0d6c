using static Switchyard.Tests.Configuration.ConfigTestSupport;

namespace Switchyard.Tests.Configuration;

/// <summary>The <c>telemetry:</c> section: metrics, their separate listener, OTLP and traces.</summary>
public sealed class TelemetryConfigTests
{
    [Fact]
    public void LoadYaml_NoTelemetrySection_MetricsOnNothingPushed()
    {
        var config = LoadValid("models: {}\n");

        Assert.Equal(TelemetrySettings.Default, config.Telemetry);
        Assert.True(config.Telemetry.Metrics);
        Assert.Null(config.Telemetry.MetricsListener);
        Assert.Null(config.Telemetry.OtlpEndpoint);
        Assert.False(config.Telemetry.Tracing);
    }

    [Fact]
    public void LoadYaml_EveryTelemetryKey_IsBound()
    {
        var config = LoadValid("""
            telemetry:
              metrics: true
              metrics_listener: "http://127.0.0.1:9464"
              otlp_endpoint: "https://otel.example.com/otlp/"
              otlp_protocol: grpc
              otlp_headers: { x-api-key: "${OTEL_KEY}" }
              traces: true
              trace_sample_ratio: 0.25
              export_interval: 15s
              service_name: gateway-eu
              max_label_values: 20
            """, Env(("OTEL_KEY", "secret-1")));

        var t = config.Telemetry;
        Assert.Equal(new Uri("http://127.0.0.1:9464"), t.MetricsListener);
        Assert.Equal(new Uri("https://otel.example.com/otlp"), t.OtlpEndpoint);
        Assert.Equal(OtlpProtocol.Grpc, t.OtlpProtocol);
        Assert.Equal([new KeyValuePair<string, string>("x-api-key", "secret-1")], t.OtlpHeaders);
        Assert.True(t.Tracing);
        Assert.Equal(0.25, t.TraceSampleRatio);
        Assert.Equal(TimeSpan.FromSeconds(15), t.ExportInterval);
        Assert.Equal("gateway-eu", t.ServiceName);
        Assert.Equal(20, t.MaxLabelValues);
    }

    [Fact]
    public void LoadYaml_TracesOff_NoSpansEvenWithAnEndpoint()
    {
        var config = LoadValid("telemetry: { otlp_endpoint: \"http://127.0.0.1:4318\", traces: false, metrics: false }\n");

        Assert.False(config.Telemetry.Tracing);
        Assert.False(config.Telemetry.Metrics);
    }

    [Fact]
    public void LoadYaml_BadTelemetryValues_AreEachReportedWithTheirPath()
    {
        var errors = LoadErrors("""
            telemetry:
              metrics: yes
              metrics_listener: "http://127.0.0.1:9464/metrics"
              otlp_endpoint: "collector:4317"
              otlp_protocol: grcp
              otlp_headers: { "bad header": x, x-key: "a,b" }
              trace_sample_ratio: 2
              export_interval: 10ms
              service_name: ""
              max_label_values: 0
              prometheus: on
            """);

        Assert.Equal(string.Join("\n",
        [
            "telemetry.prometheus: unknown key",
            "telemetry.metrics: must be true or false",
            "telemetry.metrics_listener: expected an address such as http://127.0.0.1:9464 (no path: the listener serves /metrics)",
            "telemetry.otlp_endpoint: expected an absolute http:// or https:// URL",
            "telemetry.otlp_protocol: unknown value 'grcp' (did you mean 'grpc'?); use http/protobuf or grpc",
            "telemetry.otlp_headers.bad header: invalid header name",
            "telemetry.otlp_headers.x-key: header value is required and may not contain commas or line breaks",
            "telemetry.trace_sample_ratio: must be a number from 0 to 1",
            "telemetry.export_interval: must be between 100ms and 1h",
            "telemetry.service_name: must not be empty",
            "telemetry.max_label_values: must be between 1 and 10000",
        ]), string.Join("\n", errors));
    }
}
