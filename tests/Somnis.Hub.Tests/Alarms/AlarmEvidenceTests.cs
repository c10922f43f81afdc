using System.Text.Json;
using Somnis.Contracts;
using Somnis.Hub.Alarms;
using Somnis.Hub.Beds;
using Somnis.Hub.Detection;

namespace Somnis.Hub.Tests.Alarms;

public sealed class AlarmEvidenceTests
{
    private static readonly DateTimeOffset T0 = AlarmRig.T0;

    [Fact]
    public void Detection_evidence_becomes_its_json_and_anything_else_none()
    {
        var incident = AlarmEvidence.Of(new FacilityIncident(T0, T0.AddMinutes(2), ["bed-01", "bed-02"], 24))!.Value;
        Assert.Equal(["bed-01", "bed-02"], incident.GetProperty("beds").EnumerateArray().Select(b => b.GetString()));
        var json = JsonSerializer.SerializeToElement(new { x = 1 });
        Assert.Equal(1, AlarmEvidence.Of(json)!.Value.GetProperty("x").GetInt32());
        Assert.Null(AlarmEvidence.Of(null));
        Assert.Null(AlarmEvidence.Of("not evidence"));
    }

    [Fact]
    public void Technical_conditions_carry_their_numbers()
    {
        Assert.Equal("seq 4–9", AlarmEvidence.DataGap("seq 4–9").GetProperty("detail").GetString());
        var skew = AlarmEvidence.ClockSkew(TimeSpan.FromSeconds(-6.12345), 5);
        Assert.Equal((-6.123, 5.0), (skew.GetProperty("skewSeconds").GetDouble(), skew.GetProperty("limitSeconds").GetDouble()));
    }

    [Fact]
    public void A_bed_condition_names_only_its_faulty_sensors()
    {
        var bed = new BedSummary("bed-05", "nexus", Online: true, Stale: false, LastSeen: T0, LastEventTime: T0, State: "asleep",
            HeartRate: null, RespirationRate: null, ActivityCount: null, SkinTemperature: null, RoomTemperature: null, BedPresence: null, SignalQuality: null,
            ArchitectStimulating: false, InterlockEngaged: false, Mode: "hardware", Simulation: null,
            Sensors: [new SensorHealth("bcg", false, "no signal"), new SensorHealth("thermometer", true)], LastSequence: 1, Received: 1);
        var evidence = AlarmEvidence.BedCondition(bed);
        Assert.Equal(T0, evidence.GetProperty("lastEventTime").GetDateTimeOffset());
        var faulty = Assert.Single(evidence.GetProperty("faultySensors").EnumerateArray());
        Assert.Equal(("bcg", "no signal"), (faulty.GetProperty("name").GetString(), faulty.GetProperty("reason").GetString()));
    }
}
