namespace Beacon.Parser.Model;

/// <summary>The parameters the protocol names; everything else is a custom property.</summary>
internal enum EventField : byte
{
    Property = 0,
    EventType,
    App,
    Platform,
    Url,
    Referrer,
    ClientTime,
    SentTime,
    UserId,
    SessionId,
    ClientEventId,
    Sdk,
    Spm,
    ReferrerReferrer,
    SourceSpm,
    SourceSourceSpm,
    Navigation,
    PageViewId,
    Dwell,
}
