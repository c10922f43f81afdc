using System.Text.Json;
using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

/// <summary>The alarm's JSON is the API's, the live feed's, the MQTT topic's, the webhook's and the store's: these are the
/// exact documents the hub wrote before the record got named properties, so stored alarms load and clients see no change
/// beyond the sleeper recorded at raise time (null in documents stored before it) and the derived display fields
/// (annunciated, sounding, rank, shelvingNeedsSupervisor) appended at the end.</summary>
public sealed class AlarmTests
{
    private static readonly DateTimeOffset T = new(2026, 3, 1, 23, 40, 0, 123, TimeSpan.FromHours(1));

    private const string Full = """{"id":"0196a1b2c3d4e5f6a7b8","facility":"nexus","bed":"bed-07","type":"architect-deprivation","priority":"high","class":"clinical","latching":true,"active":true,"acknowledged":true,"closed":false,"raisedAt":"2026-03-01T23:40:00.123+01:00","raisedEventTime":"2026-03-01T23:41:00.123+01:00","announcedAt":"2026-03-01T23:42:00.123+01:00","lastEventTime":"2026-03-01T23:43:00.123+01:00","clearedAt":"2026-03-01T23:44:00.123+01:00","ackedBy":"tess","ackedAt":"2026-03-01T23:45:00.123+01:00","ackComment":"seen \u0022it\u0022","shelvedUntil":"2026-03-01T23:46:00.123+01:00","shelvedBy":"sam","shelveReason":"known \u003Csleeper\u003E","suppressed":true,"parentId":"incident-1","assignedTo":"sam","occurrences":3,"chattering":true,"escalation":2,"summary":"kept awake 80 %","evidence":{"minutes":31.5,"beds":["a"]},"beds":["bed-07","bed-08"],"state":"shelved","triggerSeq":4711}""";

    private const string Minimal = """{"id":"a2","facility":"nexus","bed":null,"type":"edge-offline","priority":"medium","class":"technical","latching":false,"active":false,"acknowledged":false,"closed":true,"raisedAt":"2026-03-01T23:40:00.123+01:00","raisedEventTime":"2026-03-01T23:40:00.123+01:00","announcedAt":"2026-03-01T23:40:00.123+01:00","lastEventTime":"2026-03-01T23:40:00.123+01:00","clearedAt":null,"ackedBy":null,"ackedAt":null,"ackComment":null,"shelvedUntil":null,"shelvedBy":null,"shelveReason":null,"suppressed":false,"parentId":null,"assignedTo":null,"occurrences":1,"chattering":false,"escalation":0,"summary":"","evidence":null,"beds":null,"state":"cleared","triggerSeq":null}""";

    // What the hub writes now: the same documents with the sleeper and the derived fields the dashboard reads instead of re-deriving rules.
    private static readonly string FullNow = Full[..^1] + ""","sleeper":null,"annunciated":false,"sounding":false,"rank":3,"shelvingNeedsSupervisor":true}""";

    private static readonly string MinimalNow = Minimal[..^1] + ""","sleeper":null,"annunciated":false,"sounding":false,"rank":2,"shelvingNeedsSupervisor":false}""";

    private static Alarm FullAlarm() => new()
    {
        Id = "0196a1b2c3d4e5f6a7b8", Facility = "nexus", Bed = "bed-07", Type = AlarmTypes.ArchitectDeprivation, Priority = "high", Class = "clinical",
        Latching = true, Active = true, Acknowledged = true, Closed = false,
        RaisedAt = T, RaisedEventTime = T.AddMinutes(1), AnnouncedAt = T.AddMinutes(2), LastEventTime = T.AddMinutes(3), ClearedAt = T.AddMinutes(4),
        AckedBy = "tess", AckedAt = T.AddMinutes(5), AckComment = "seen \"it\"",
        ShelvedUntil = T.AddMinutes(6), ShelvedBy = "sam", ShelveReason = "known <sleeper>",
        Suppressed = true, ParentId = "incident-1", AssignedTo = "sam", Occurrences = 3, Chattering = true, Escalation = 2,
        Summary = "kept awake 80 %", Evidence = JsonSerializer.SerializeToElement(new { minutes = 31.5, beds = new[] { "a" } }), Beds = ["bed-07", "bed-08"],
        TriggerSeq = 4711,
    };

    private static Alarm MinimalAlarm() => new()
    {
        Id = "a2", Facility = "nexus", Type = AlarmTypes.EdgeOffline, Priority = "medium", Class = "technical", Closed = true,
        RaisedAt = T, RaisedEventTime = T, AnnouncedAt = T, LastEventTime = T, Occurrences = 1, Summary = "",
    };

    [Fact]
    public void It_serialises_to_the_same_document_as_before_plus_the_derived_fields()
    {
        Assert.Equal(FullNow, JsonSerializer.Serialize(FullAlarm(), HubJsonContext.Default.Alarm));
        Assert.Equal(MinimalNow, JsonSerializer.Serialize(MinimalAlarm(), HubJsonContext.Default.Alarm));
    }

    [Fact]
    public void A_stored_document_loads_into_the_same_alarm()
    {
        var full = JsonSerializer.Deserialize(Full, HubJsonContext.Default.Alarm)!;
        Assert.Equal(FullNow, JsonSerializer.Serialize(full, HubJsonContext.Default.Alarm));
        Assert.Equal(["bed-07", "bed-08"], full.Beds);
        Assert.Equal(31.5, full.Evidence!.Value.GetProperty("minutes").GetDouble());
        Assert.Equal(FullAlarm() with { Evidence = full.Evidence, Beds = full.Beds }, full);
        Assert.Equal(MinimalAlarm(), JsonSerializer.Deserialize(Minimal, HubJsonContext.Default.Alarm));
    }

    [Fact]
    public void An_alarm_raised_with_a_sleeper_admitted_names_them_and_loads_back()
    {
        var alarm = FullAlarm() with { Sleeper = new Somnis.Hub.Sleepers.SleeperRef("ada", "Ada Lovelace") };
        var json = JsonSerializer.Serialize(alarm, HubJsonContext.Default.Alarm);
        Assert.Contains(""","triggerSeq":4711,"sleeper":{"id":"ada","name":"Ada Lovelace"},"annunciated":false,""", json, StringComparison.Ordinal);
        var loaded = JsonSerializer.Deserialize(json, HubJsonContext.Default.Alarm)!;
        Assert.Equal(alarm.Sleeper, loaded.Sleeper);
        Assert.Equal(json, JsonSerializer.Serialize(loaded, HubJsonContext.Default.Alarm));
    }

    [Fact]
    public void Its_key_is_facility_bed_and_type_with_an_empty_bed_for_a_facility_alarm()
    {
        Assert.Equal(new AlarmKey("nexus", "bed-07", AlarmTypes.ArchitectDeprivation), FullAlarm().Key);
        Assert.Equal(new AlarmKey("nexus", "", AlarmTypes.EdgeOffline), MinimalAlarm().Key);
    }
}
