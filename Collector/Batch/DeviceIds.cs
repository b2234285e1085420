using System.Security.Cryptography;
using System.Text;

namespace Beacon.Collector.Batch;

/// <summary>
/// A device id as the visitor id (the record's Kafka key, and the id sampling hashes): a UUID or 32-hex
/// id is used as it is, so an SDK that sends the same id as the web tracker lands in the same partition;
/// any other string maps to a stable name-based UUID (version 8: the first 16 bytes of SHA-256 of its
/// UTF-8 bytes), so one device's events still share a key. The record keeps the id as sent in
/// <c>props.device_id</c>.
/// </summary>
public static class DeviceIds
{
    public static Guid ToVisitorId(ReadOnlySpan<byte> deviceId)
    {
        if (deviceId.IsEmpty)
        {
            return Guid.Empty;
        }

        Span<char> chars = stackalloc char[40];
        if (deviceId.Length <= chars.Length)
        {
            var length = Encoding.UTF8.GetChars(deviceId, chars);
            if (Guid.TryParse(chars[..length], out var parsed) && parsed != Guid.Empty)
            {
                return parsed;
            }
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(deviceId, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(hash[..16], bigEndian: true);
    }
}
