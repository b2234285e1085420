namespace Beacon.Parser.Model;

/// <summary>The parameters the protocol names; everything else is a custom property.</summary>
internal enum EventField : byte
{
    Property = 0,

    // Strings taken as they are.
    EventType,
    App,
    Platform,
    Url,
    Referrer,
    UserId,
    SessionId,
    ClientEventId,
    Sdk,
    ReferrerReferrer,
    Navigation,
    PageViewId,

    // From here on, values the decoder checks or parses first.
    Spm,
    SourceSpm,
    SourceSourceSpm,
    ClientTime,
    SentTime,
    Dwell, // last: BeaconEvent sizes its field values by it
}
