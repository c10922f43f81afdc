using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Somnis.Contracts;
using Somnis.Hub.Beds;
using Somnis.Hub.Dashboard;
using Somnis.Hub.Detection;
using Somnis.Hub.Ingestion;
using Somnis.Hub.Sleepers;
using Somnis.Hub.Storage;
using Somnis.Hub.Tests.Nights;
using Somnis.Hub.Tests.Storage;

namespace Somnis.Hub.Tests.Sleepers;

/// <summary>The sleeper service over the real store: when admissions take effect, and debt that follows a sleeper across beds.</summary>
public sealed class SleeperServiceTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);
    private readonly TempStore _db = new();
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly BedRegistry _beds;
    private readonly SleeperService _service;

    public SleeperServiceTests()
    {
        var meters = _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        var delivery = new DeliveryTracker(_time, Options.Create(new DeliveryOptions()), Options.Create(new HubOptions { DataDirectory = _db.Directory }), meters, new TestLogger<DeliveryTracker>());
        _beds = new BedRegistry(_time, Options.Create(new BedOptions()), delivery);
        var dashboard = new DashboardOptions { Layout = [new WardLayout { Name = "South", Beds = ["bed-5*"] }] };
        _service = new SleeperService(_db.Store, _db.Store, _db.Store, _beds, Options.Create(dashboard), Options.Create(new DetectionOptions()), _time,
            new TestLogger<SleeperService>());
        _db.Sleeper("ada");
    }

    public void Dispose()
    {
        _services.Dispose();
        _db.Dispose();
    }

    private void Live(string bed, DateTimeOffset clock) =>
        _beds.ApplyVitals("nexus", new VitalsMessage { Bed = bed, Seq = 1, Ts = clock, IntervalSeconds = 10, SignalQuality = 1, BedPresence = true });

    [Fact]
    public void Debt_follows_a_sleeper_transferred_between_beds()
    {
        Live("bed-01", T0.AddHours(-1));
        Live("bed-02", T0.AddDays(1).AddHours(-1));
        Assert.Null(_service.Admit("bed-01", null, new AdmitRequest("ada", null, null), "tess").Refused);
        StoredNights.Write(_db.Store, "bed-01", T0, 300, 0); // 5 h: debt 2 h
        Assert.Null(_service.Admit("bed-02", null, new AdmitRequest("ada", null, true), "tess").Refused);
        StoredNights.Write(_db.Store, "bed-02", T0.AddDays(1), 360, 0); // 6 h: debt 3 h
        StoredNights.Write(_db.Store, "bed-01", T0.AddDays(1).AddMinutes(30), 420, 0); // bed-01 after the transfer: not ada's

        Assert.Equal(new DebtSummary(3, 2, new DateOnly(2026, 3, 2)), _service.Debt("ada"));
        var ada = _service.Get("ada").Value!;
        Assert.Equal(3, ada.Debt!.Hours);
        Assert.Equal("bed-02", ada.Admission!.Bed);
    }

    [Fact]
    public void A_bed_known_only_from_its_stored_history_is_admitted_at_its_newest_stored_time()
    {
        _db.Store.AppendVitals([new RecordedVitals("nexus", SomnisStoreTests.Vitals("bed-07", 1, T0.AddMinutes(5)))]);
        var admission = _service.Admit("bed-07", null, new AdmitRequest("ada", null, null), "tess").Value!;
        Assert.Equal(("nexus", T0.AddMinutes(5)), (admission.Facility, admission.From));
    }

    [Fact]
    public void A_bed_that_has_sent_nothing_is_admitted_at_the_hubs_clock_when_the_layout_lists_it()
    {
        var refused = _service.Admit("bed-55", null, new AdmitRequest("ada", null, null), "tess").Refused!;
        Assert.Equal((400, true), (refused.Status, refused.Problem.Contains("give its facility", StringComparison.Ordinal)));
        var admission = _service.Admit("bed-55", "nexus", new AdmitRequest("ada", null, null), "tess").Value!;
        Assert.Equal(_time.GetUtcNow(), admission.From);
        Assert.Equal(404, _service.Admit("bed-66", "nexus", new AdmitRequest("ada", null, null), "tess").Refused!.Status);
        Assert.Equal("ada", _service.AdmittedAt("nexus", "bed-55", _time.GetUtcNow())!.SleeperId);
    }

    [Fact]
    public void The_list_shows_tonights_program_and_the_current_admission()
    {
        Live("bed-01", T0);
        _service.Admit("bed-01", null, new AdmitRequest("ada", null, null), "tess");
        var created = _service.Create(new CreateSleeperRequest(null, "Ben", null, "companions", "2026-03-02"), "sam").Value!;
        Assert.Equal(SleepProgram.None, created.Program); // not yet: tonight is 28 February (hub clock 09:00 on 1 March)
        var list = _service.List();
        Assert.Equal(["ada", "ben"], list.Select(s => s.Id));
        Assert.Equal("bed-01", list[0].Admission!.Bed);
        Assert.Null(list[1].Admission);
    }
}
