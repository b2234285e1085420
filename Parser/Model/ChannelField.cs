namespace Beacon.Parser.Model;

/// <summary>Campaign and registration-link codes read from the page URL's query (channel attribution).</summary>
public enum ChannelField
{
    UtmSource,
    UtmMedium,
    UtmCampaign,
    UtmTerm,
    UtmContent,

    /// <summary><c>source=</c>: e.g. the QR code or partner a sign-up link was printed for.</summary>
    Source,

    /// <summary><c>ref=</c>: e.g. the inviting user's referral code.</summary>
    Ref, // last: BeaconEvent sizes its channel codes by it
}
