namespace Beacon.Collector.Tests.Deployment;

public sealed class PromQlTests
{
    [Theory]
    [InlineData("beacon_ready", "beacon_ready")]
    [InlineData("sum(beacon_ready{namespace=\"$namespace\", pod=~\"$pod\"})", "beacon_ready")]
    [InlineData("sum by (http_route, http_response_status_code) (rate(http_server_request_duration_seconds_count{http_route!~\"/metrics|/healthz\"}[$__rate_interval]))", "http_server_request_duration_seconds_count")]
    [InlineData("histogram_quantile(0.99, sum by (le) (rate(beacon_event_latency_seconds_bucket[5m])))", "beacon_event_latency_seconds_bucket")]
    [InlineData("sum(rate(a_total[1m])) without (pod) / on (le) group_left(x) b_sum offset 5m", "a_total b_sum")]
    [InlineData("count(beacon_kafka_healthy == 0) or vector(0)", "beacon_kafka_healthy")]
    [InlineData("label_replace(up{job=\"x\"}, \"dst\", \"$1\", \"src\", \"(.*)\") > bool 1e-3", "up")]
    public void Metric_names_are_read_from_an_expression_without_functions_labels_or_grouping(string expression, string expected)
    {
        Assert.Equal(expected.Split(' ').Order(StringComparer.Ordinal), PromQl.MetricNames(expression).Order(StringComparer.Ordinal));
    }
}
