using System.Text.Json;
using Somnis.Contracts;
using Somnis.Edge.Simulation;

namespace Somnis.Bench;

/// <summary>One message to publish: its topic and payload, the bed it belongs to (index in its fleet) and its sequence number.</summary>
internal readonly record struct BenchMessage(string Topic, byte[] Payload, int Bed, long Seq);

/// <summary>
/// Model-level simulated beds (the edge's own <see cref="SleeperModel"/> and <see cref="SimulatedBedSource"/>, as in fleet
/// mode), producing the same vitals messages an edge publishes, in event time: every bed's clock starts at
/// <see cref="NightStart"/> and advances one interval per message, so a night can be pushed as fast as the pipeline takes it.
/// </summary>
internal sealed class Fleet
{
    public static readonly DateTimeOffset NightStart = new(2026, 11, 24, 22, 0, 0, TimeSpan.Zero);

    private readonly SimulatedBedSource[] _sources;
    private readonly long[] _seq;
    private readonly long[] _produced;
    private readonly TimeSpan _interval;
    private readonly int _padding;

    /// <param name="facility">Facility topic level (one per benchmark phase, so phases never share a bed).</param>
    /// <param name="beds">Number of beds.</param>
    /// <param name="scenarios">Scenario of bed i is scenarios[i % length].</param>
    /// <param name="interval">Event time covered by one message (the edge's --interval; 10 s by default).</param>
    /// <param name="padding">Extra payload bytes (an ignored JSON member), to study payload size; 0 for the real message.</param>
    public Fleet(string facility, int beds, IReadOnlyList<Scenario> scenarios, TimeSpan interval, int seed = 1, int padding = 0)
    {
        Facility = facility;
        _interval = interval;
        _padding = padding;
        _sources = new SimulatedBedSource[beds];
        _seq = new long[beds];
        _produced = new long[beds];
        Ids = new string[beds];
        for (var i = 0; i < beds; i++)
        {
            Ids[i] = $"bed-{i + 1:D4}";
            var s = seed + i;
            _sources[i] = new SimulatedBedSource(new SleeperModel(scenarios[i % scenarios.Count], s), s, 1);
        }
    }

    public string Facility { get; }

    public string[] Ids { get; }

    public int Count => _sources.Length;

    /// <summary>Sequence number of the next message of a bed (all beds start at 1).</summary>
    public long NextSeq(int bed) => _seq[bed] + 1;

    /// <summary>A retained "online" birth status per bed, as an edge publishes on connect (the hub counts a bed online from it).</summary>
    public IEnumerable<BenchMessage> Births(TimeProvider time)
    {
        for (var i = 0; i < Count; i++)
        {
            var status = new StatusMessage
            {
                Bed = Ids[i], Seq = _seq[i], Ts = time.GetUtcNow(), State = DeviceStates.Online, Mode = "simulated", Software = "somnis-bench",
                Simulation = _sources[i].Simulation,
                Clock = new ClockStatus(true, "bench"),
            };
            yield return new BenchMessage(Topics.For(Facility, Ids[i], Topics.Status), JsonSerializer.SerializeToUtf8Bytes(status, SomnisJsonContext.Default.StatusMessage), i, 0);
        }
    }

    /// <summary>The next <paramref name="perBed"/> intervals of every bed, interleaved bed by bed as they would arrive in real time.</summary>
    public BenchMessage[] Next(int perBed)
    {
        var result = new BenchMessage[perBed * Count];
        var k = 0;
        for (var round = 0; round < perBed; round++)
        {
            for (var i = 0; i < Count; i++)
            {
                result[k++] = Vitals(i);
            }
        }

        return result;
    }

    private BenchMessage Vitals(int bed)
    {
        var reading = _sources[bed].Next(_interval);
        _produced[bed]++;
        var seq = ++_seq[bed];
        var message = new VitalsMessage
        {
            Bed = Ids[bed], Seq = seq, Ts = NightStart + (_interval * _produced[bed]), IntervalSeconds = _interval.TotalSeconds,
            HeartRate = reading.HeartRate, RespirationRate = reading.RespirationRate, ActivityCount = reading.ActivityCount,
            SkinTemperature = reading.SkinTemperature, RoomTemperature = reading.RoomTemperature, BedPresence = reading.BedPresence,
            SignalQuality = reading.SignalQuality, ArchitectStimulating = reading.ArchitectStimulating, InterlockEngaged = reading.InterlockEngaged,
        };
        var payload = JsonSerializer.SerializeToUtf8Bytes(message, SomnisJsonContext.Default.VitalsMessage);
        if (_padding > 0)
        {
            // Unknown members are ignored by the hub's parser: padding changes the size, not the meaning.
            payload = [.. payload.AsSpan(0, payload.Length - 1), .. System.Text.Encoding.UTF8.GetBytes($",\"pad\":\"{new string('x', _padding)}\"}}")];
        }

        return new BenchMessage(Topics.For(Facility, Ids[bed], Topics.Vitals), payload, bed, seq);
    }
}
