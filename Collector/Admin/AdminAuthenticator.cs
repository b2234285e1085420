using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Beacon.Collector.Admin;

/// <summary>
/// Bearer-token checks for the rules API. Tokens are compared as SHA-256 digests with a fixed-time
/// comparison, against every configured token, so neither the length nor a matching prefix of a secret
/// shows in the response time. With no tokens configured only loopback callers are served.
/// </summary>
internal sealed class AdminAuthenticator
{
    private readonly (string Name, byte[] Digest, bool CanWrite)[] _tokens;

    public AdminAuthenticator(IOptions<AdminOptions> options)
    {
        var admin = options.Value;
        _tokens =
        [
            .. admin.Tokens.Where(static t => t.Value.Length > 0).Select(static t => (t.Key, Digest(t.Value), true)),
            .. admin.ReadOnlyTokens.Where(static t => t.Value.Length > 0).Select(static t => (t.Key, Digest(t.Value), false)),
        ];
    }

    public bool HasTokens => _tokens.Length > 0;

    public AdminAccess Check(HttpContext context, bool write)
    {
        if (!HasTokens)
        {
            return context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address)
                ? AdminAccess.Grant("loopback")
                : AdminAccess.Deny(StatusCodes.Status403Forbidden, "No admin tokens are configured (Beacon:Admin:Tokens): the rules API answers loopback connections only.");
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length == "Bearer ".Length)
        {
            return AdminAccess.Deny(StatusCodes.Status401Unauthorized, "An Authorization: Bearer <token> header is required.");
        }

        var presented = Digest(header["Bearer ".Length..].Trim());
        (string Name, bool CanWrite)? match = null;
        foreach (var token in _tokens)
        {
            // No early exit: every token is compared, whichever matches.
            if (CryptographicOperations.FixedTimeEquals(presented, token.Digest) && match is null)
            {
                match = (token.Name, token.CanWrite);
            }
        }

        return match switch
        {
            null => AdminAccess.Deny(StatusCodes.Status401Unauthorized, "The token is not valid."),
            { CanWrite: false } when write => AdminAccess.Deny(StatusCodes.Status403Forbidden, $"Token '{match.Value.Name}' may read the rules but not change them."),
            _ => AdminAccess.Grant(match.Value.Name),
        };
    }

    private static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
