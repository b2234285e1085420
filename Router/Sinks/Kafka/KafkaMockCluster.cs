using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Beacon.Router.Sinks.Kafka;

/// <summary>
/// librdkafka's built-in mock cluster: brokers that speak the real Kafka protocol on loopback TCP,
/// for tests and for trying the Kafka path with no Kafka installed. Any client in any process can
/// use <see cref="BootstrapServers"/>. No Admin API: create topics with <see cref="CreateTopic"/>.
/// </summary>
public sealed partial class KafkaMockCluster : IDisposable
{
    private const string Library = "librdkafka.so.1";
    private const int ProducerType = 0;
    private const int AllBrokers = -1;
    private const short ProduceApiKey = 0;
    private readonly IntPtr _handle;
    private readonly IntPtr _cluster;
    private bool _disposed;

    public KafkaMockCluster(int brokers = 3)
    {
        var errors = new byte[512];
        var conf = NativeConfNew();

        // The handle only hosts the mock brokers; its notice about having no bootstrap servers is noise.
        NativeConfSet(conf, "log_level", "4", errors, (nuint)errors.Length);
        _handle = NativeNew(ProducerType, conf, errors, (nuint)errors.Length);
        if (_handle == IntPtr.Zero)
        {
            throw new InvalidOperationException("rd_kafka_new failed: " + System.Text.Encoding.UTF8.GetString(errors).TrimEnd('\0'));
        }

        _cluster = NativeMockClusterNew(_handle, brokers);
        if (_cluster == IntPtr.Zero)
        {
            NativeDestroy(_handle);
            throw new InvalidOperationException("rd_kafka_mock_cluster_new failed");
        }

        BootstrapServers = Marshal.PtrToStringUTF8(NativeMockClusterBootstraps(_cluster))
            ?? throw new InvalidOperationException("the mock cluster has no bootstrap servers");
    }

    /// <summary>E.g. <c>127.0.0.1:40909,127.0.0.1:37531,127.0.0.1:34255</c>.</summary>
    public string BootstrapServers { get; }

    public void CreateTopic(string topic, int partitions, int replicationFactor = 1) =>
        Check(NativeMockTopicCreate(_cluster, topic, partitions, replicationFactor), "create topic " + topic);

    /// <summary>Takes every broker down: connections drop and are refused until <see cref="BringBrokersUp"/>.</summary>
    public void TakeBrokersDown() => Check(NativeMockBrokerSetDown(_cluster, AllBrokers), "take brokers down");

    public void BringBrokersUp() => Check(NativeMockBrokerSetUp(_cluster, AllBrokers), "bring brokers up");

    /// <summary>
    /// Every broker holds each response back this long: Kafka that is up but stops answering in time,
    /// so in-flight records fail by <c>message.timeout.ms</c> while connections stay open.
    /// </summary>
    public void DelayResponses(TimeSpan delay) =>
        Check(NativeMockBrokerSetRtt(_cluster, AllBrokers, (int)delay.TotalMilliseconds), "delay responses");

    /// <summary>
    /// Answers the next <paramref name="errors"/>.Length Produce requests the cluster receives, on any
    /// broker, with these errors in turn, for every partition in the request; later requests succeed.
    /// A request carries many records (one batch per partition), and all of them get its error.
    /// </summary>
    public void FailNextProduceRequests(params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var codes = Array.ConvertAll(errors, static e => (int)e);
        NativeMockPushRequestErrors(_cluster, ProduceApiKey, (nuint)codes.Length, codes);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        NativeMockClusterDestroy(_cluster);
        NativeDestroy(_handle);
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            throw new InvalidOperationException($"mock cluster: {what} failed with librdkafka error {error}");
        }
    }

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_new")]
    private static partial IntPtr NativeConfNew();

    [LibraryImport(Library, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeConfSet(IntPtr conf, string name, string value, [Out] byte[] errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_new")]
    private static partial IntPtr NativeNew(int type, IntPtr conf, [Out] byte[] errstr, nuint errstrSize);

    [LibraryImport(Library, EntryPoint = "rd_kafka_destroy")]
    private static partial void NativeDestroy(IntPtr handle);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_new")]
    private static partial IntPtr NativeMockClusterNew(IntPtr handle, int brokers);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_destroy")]
    private static partial void NativeMockClusterDestroy(IntPtr cluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_cluster_bootstraps")]
    private static partial IntPtr NativeMockClusterBootstraps(IntPtr cluster);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_topic_create", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int NativeMockTopicCreate(IntPtr cluster, string topic, int partitions, int replicationFactor);

    // rd_kafka_mock_push_request_errors is variadic: this is its array form.
    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_push_request_errors_array")]
    private static partial void NativeMockPushRequestErrors(IntPtr cluster, short apiKey, nuint count, int[] errors);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_down")]
    private static partial int NativeMockBrokerSetDown(IntPtr cluster, int brokerId);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_up")]
    private static partial int NativeMockBrokerSetUp(IntPtr cluster, int brokerId);

    [LibraryImport(Library, EntryPoint = "rd_kafka_mock_broker_set_rtt")]
    private static partial int NativeMockBrokerSetRtt(IntPtr cluster, int brokerId, int rttMs);
}
