using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Tests.Sleepers;

/// <summary>The admission rules as pure functions: every refusal names its reason and carries no change.</summary>
public sealed class AdmissionRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 22, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static Admission A(long id, string bed, string sleeper, double fromH, double? toH = null) =>
        new(id, "nexus", bed, sleeper, T0.AddHours(fromH), toH is { } t ? T0.AddHours(t) : null);

    private static void Refused((AdmissionChange? Change, Refusal? Refused) r, string mentions)
    {
        Assert.Null(r.Change);
        Assert.Equal(409, r.Refused!.Status);
        Assert.Contains(mentions, r.Refused.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Admitting_to_a_free_bed_opens_an_admission_and_audits_it()
    {
        var (change, refused) = AdmissionRules.Admit("nexus", "bed-01", "ada", T0, false, [A(1, "bed-01", "ben", -5, -1)], [], "tess", Now);
        Assert.Null(refused);
        Assert.Null(change!.Close);
        Assert.Equal(new Admission(0, "nexus", "bed-01", "ada", T0, null), change.Open);
        var audit = Assert.Single(change.Audit);
        Assert.Equal(("admit", "tess", "bed-01", Now, (DateTimeOffset?)T0, "sleeper ada"), (audit.Action, audit.Actor, audit.Bed, audit.At, audit.EventTime, audit.Detail));
    }

    [Fact]
    public void One_sleeper_per_bed_and_one_bed_per_sleeper()
    {
        Refused(AdmissionRules.Admit("nexus", "bed-01", "ada", T0, false, [A(1, "bed-01", "ben", -1)], [], "tess", Now), "occupied by sleeper 'ben'");
        Refused(AdmissionRules.Admit("nexus", "bed-01", "ada", T0, false, [A(1, "bed-01", "ada", -1)], [A(1, "bed-01", "ada", -1)], "tess", Now), "already admitted");
        Refused(AdmissionRules.Admit("nexus", "bed-02", "ada", T0, false, [], [A(1, "bed-01", "ada", -1)], "tess", Now), "\"transfer\": true");
        Refused(AdmissionRules.Admit("nexus", "bed-02", "ada", T0, true, [], [], "tess", Now), "nothing to transfer");
    }

    [Fact]
    public void A_transfer_closes_the_old_bed_and_opens_the_new_at_the_same_instant()
    {
        var old = A(7, "bed-01", "ada", -3);
        var (change, _) = AdmissionRules.Admit("nexus", "bed-02", "ada", T0, true, [], [old], "tess", Now);
        Assert.Equal(old with { To = T0 }, change!.Close);
        Assert.Equal("bed-02", change.Open!.Bed);
        Assert.Equal(["bed-01", "bed-02"], change.Audit.Select(a => a.Bed));
        Assert.All(change.Audit, a => Assert.Equal("transfer", a.Action));
        Refused(AdmissionRules.Admit("nexus", "bed-02", "ada", T0.AddHours(-3), true, [], [old], "tess", Now), "must come after");
    }

    [Fact]
    public void Periods_never_overlap()
    {
        // The bed had ben from −5 h to −1 h; ada had bed-03 from −8 h to −2 h.
        IReadOnlyList<Admission> bed = [A(1, "bed-01", "ben", -5, -1)];
        IReadOnlyList<Admission> ada = [A(2, "bed-03", "ada", -8, -2)];
        Refused(AdmissionRules.Admit("nexus", "bed-01", "ada", T0.AddHours(-1.5), false, bed, [], "tess", Now), "overlaps the admission of sleeper 'ben'");
        Refused(AdmissionRules.Admit("nexus", "bed-01", "ada", T0.AddHours(-4), false, [], ada, "tess", Now), "overlaps the admission of sleeper 'ada' to bed 'bed-03'");
        Assert.NotNull(AdmissionRules.Admit("nexus", "bed-01", "ada", T0.AddHours(-1), false, bed, ada, "tess", Now).Change);
    }

    [Fact]
    public void Discharge_needs_someone_admitted_and_a_later_time()
    {
        Refused(AdmissionRules.Discharge("nexus", "bed-01", T0, [A(1, "bed-01", "ben", -5, -1)], "tess", Now), "no sleeper is admitted");
        Refused(AdmissionRules.Discharge("nexus", "bed-01", T0, [A(1, "bed-01", "ben", 0)], "tess", Now), "must come after");
        var (change, _) = AdmissionRules.Discharge("nexus", "bed-01", T0, [A(1, "bed-01", "ben", -1)], "tess", Now);
        Assert.Equal(T0, change!.Close!.To);
        Assert.Equal("discharge", Assert.Single(change.Audit).Action);
    }
}
