using Microsoft.Extensions.Options;
using Somnis.Hub.Detection;
using Somnis.Hub.Nights;

namespace Somnis.Hub.Sleepers;

/// <summary>A sleeper as the beds, alarms and reports name them.</summary>
public sealed record SleeperRef(string Id, string Name);

/// <summary>
/// What the live path needs to know about sleepers, in memory: their names, every bed's admissions, and each sleeper's
/// finished nights (sleep debt across beds and transfers, and the baseline their next night starts from). Loaded from the
/// store at start-up (<see cref="Load"/>), then kept current by the hub's own changes: a night that ends counts at once
/// (<see cref="NightEnded"/>), before the night writer has stored it, and admissions and new sleepers are applied as the
/// <see cref="SleeperService"/> stores them. Reads are a lock and a few dictionary lookups: the acute-sleep-loss rule asks
/// for the debt on every finalized epoch of every bed, the live feed for every changed bed's sleeper.
/// </summary>
/// <remarks>
/// Debt is kept per owner: the sleeper of a night, or for a night nobody was admitted to, its bed (an unassigned night
/// still tells how the bed's occupant slept, as the hub's per-bed debt did before sleepers existed). Owners of nights follow
/// the store's rule: the admission that covers the night's start, else one that began during the night
/// (ISleeperStore.ApplyAdmission). The debt counts nights by date, with <see cref="SleeperDebt"/>'s rule.
/// </remarks>
internal sealed class SleeperLedger(ISleeperStore sleepers, INightStore nights, IOptions<DetectionOptions> detection)
{
    /// <summary>Newest finished nights per sleeper whose baselines are kept; <see cref="PriorNights"/> of them feed a prior.</summary>
    internal const int BaselinesKept = 14;

    /// <summary>Nights a prior is the median of (a week: night-to-night variation averages out, a change of habit shows within days).</summary>
    internal const int PriorNights = 7;

    private readonly Lock _sync = new();
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Facility, string Bed), List<Admission>> _admissions = [];
    private readonly Dictionary<(string, string), Account> _accounts = [];
    private readonly double _need = detection.Value.NeedHours;

    /// <summary>Reads names, admissions and finished nights from the store (start-up, before any night is scored).</summary>
    public void Load()
    {
        var names = sleepers.Sleepers();
        var admissions = sleepers.Admissions(null, null, null);
        var finished = nights.FinishedNights();
        var latest = nights.LatestFinishedNights(BaselinesKept);
        lock (_sync)
        {
            _names.Clear();
            _admissions.Clear();
            _accounts.Clear();
            foreach (var s in names)
            {
                _names[s.Id] = s.Name;
            }

            foreach (var a in admissions)
            {
                AdmissionsOf(a.Facility, a.Bed).Add(a);
            }

            foreach (var n in finished)
            {
                Owner(n.SleeperId, n.Facility, n.Bed).Add(n.Id, new Counted(n.NightDate, n.End, n.TotalSleepMin));
            }

            // Oldest first, so each sleeper's list ends with the newest.
            foreach (var n in latest.OrderBy(n => n.Start))
            {
                if (n.SleeperId is { } id && n.Metrics?.Baseline is { } baseline)
                {
                    AccountOf((id, "")).AddBaseline(n.Start, n.NightDate, baseline);
                }
            }
        }
    }

    /// <summary>The sleeper admitted to a bed now (its open admission), if any.</summary>
    public SleeperRef? Current(string facility, string bed)
    {
        lock (_sync)
        {
            return _admissions.TryGetValue((facility, bed), out var list) && list.LastOrDefault(a => a.To is null) is { } open ? Ref(open.SleeperId) : null;
        }
    }

    /// <summary>The sleeper admitted to a bed at an instant (event time), if any.</summary>
    public SleeperRef? At(string facility, string bed, DateTimeOffset at)
    {
        lock (_sync)
        {
            return _admissions.TryGetValue((facility, bed), out var list) && list.LastOrDefault(a => a.Covers(at)) is { } a ? Ref(a.SleeperId) : null;
        }
    }

    /// <summary>The sleeper a night belongs to as of <paramref name="upTo"/>: admitted at its start, else admitted during it.</summary>
    public string? SleeperOf(string facility, string bed, DateTimeOffset start, DateTimeOffset upTo)
    {
        lock (_sync)
        {
            return NightSleeper(facility, bed, start, upTo);
        }
    }

    /// <summary>The display name of a sleeper (null for an unknown id).</summary>
    public SleeperRef? Find(string? sleeperId)
    {
        if (sleeperId is null)
        {
            return null;
        }

        lock (_sync)
        {
            return _names.ContainsKey(sleeperId) ? Ref(sleeperId) : null;
        }
    }

    /// <summary>Debt of the owner of a bed's night (the sleeper it belongs to as of <paramref name="upTo"/>, else the bed)
    /// over their finished nights dated before the night's date: what the night started with.</summary>
    public double DebtBefore(string facility, string bed, DateTimeOffset start, DateOnly date, DateTimeOffset upTo)
    {
        lock (_sync)
        {
            var sleeper = NightSleeper(facility, bed, start, upTo);
            return _accounts.TryGetValue(OwnerKey(sleeper, facility, bed), out var account) ? account.DebtBefore(date, _need) : 0;
        }
    }

    /// <summary>Debt of a sleeper (or, with <paramref name="sleeperId"/> null, of a bed's unassigned nights) through the
    /// nights dated up to <paramref name="through"/> (null: all their finished nights).</summary>
    public DebtSummary Debt(string? sleeperId, string facility, string bed, DateOnly? through = null)
    {
        lock (_sync)
        {
            return _accounts.TryGetValue(OwnerKey(sleeperId, facility, bed), out var account)
                ? account.Debt(through, _need)
                : new DebtSummary(0, 0, null);
        }
    }

    /// <summary>The sleeper's baseline from their newest finished nights dated before <paramref name="date"/> (medians over up
    /// to <see cref="PriorNights"/> nights); null for an unassigned night or a sleeper without such nights.</summary>
    public SleeperPrior? PriorBefore(string facility, string bed, DateTimeOffset start, DateOnly date)
    {
        lock (_sync)
        {
            return NightSleeper(facility, bed, start, start) is { } id && _accounts.TryGetValue((id, ""), out var account) ? account.Prior(date) : null;
        }
    }

    /// <summary>A night ended on the live path: it counts for its owner's debt (and, with a baseline, their next nights' prior).
    /// The same night counted again (replayed after a restart) replaces itself.</summary>
    public void NightEnded(NightKey key, DateOnly date, DateTimeOffset end, NightMetrics metrics)
    {
        lock (_sync)
        {
            var sleeper = NightSleeper(key.Facility, key.Bed, key.Start, end);
            var account = Owner(sleeper, key.Facility, key.Bed);
            account.Add(key.Id, new Counted(date, end, metrics.TotalSleepMin));
            if (sleeper is not null && metrics.Baseline is { } baseline)
            {
                account.AddBaseline(key.Start, date, baseline);
            }
        }
    }

    /// <summary>A sleeper was created.</summary>
    public void SleeperAdded(Sleeper sleeper)
    {
        lock (_sync)
        {
            _names[sleeper.Id] = sleeper.Name;
        }
    }

    /// <summary>An admission change was stored: <paramref name="closed"/> ended, <paramref name="opened"/> began. As the store
    /// does, the bed's unassigned nights that the new admission covers become the sleeper's.</summary>
    public void AdmissionChanged(Admission? closed, Admission? opened)
    {
        lock (_sync)
        {
            if (closed is not null)
            {
                var list = AdmissionsOf(closed.Facility, closed.Bed);
                var i = list.FindIndex(a => a.Id == closed.Id);
                if (i >= 0)
                {
                    list[i] = closed;
                }
            }

            if (opened is null)
            {
                return;
            }

            AdmissionsOf(opened.Facility, opened.Bed).Add(opened);
            if (_accounts.TryGetValue(OwnerKey(null, opened.Facility, opened.Bed), out var bedAccount))
            {
                foreach (var (id, night) in bedAccount.Take(n => n.End > opened.From))
                {
                    Owner(opened.SleeperId, opened.Facility, opened.Bed).Add(id, night);
                }
            }
        }
    }

    private string? NightSleeper(string facility, string bed, DateTimeOffset start, DateTimeOffset upTo)
    {
        if (!_admissions.TryGetValue((facility, bed), out var list))
        {
            return null;
        }

        string? during = null;
        foreach (var a in list)
        {
            if (a.Covers(start))
            {
                return a.SleeperId;
            }

            if (during is null && a.From > start && a.From <= upTo)
            {
                during = a.SleeperId;
            }
        }

        return during;
    }

    private SleeperRef Ref(string id) => new(id, _names.GetValueOrDefault(id) ?? id);

    private List<Admission> AdmissionsOf(string facility, string bed)
    {
        if (!_admissions.TryGetValue((facility, bed), out var list))
        {
            _admissions[(facility, bed)] = list = [];
        }

        return list;
    }

    private Account Owner(string? sleeperId, string facility, string bed) => AccountOf(OwnerKey(sleeperId, facility, bed));

    private Account AccountOf((string, string) key)
    {
        if (!_accounts.TryGetValue(key, out var account))
        {
            _accounts[key] = account = new Account();
        }

        return account;
    }

    // A sleeper's account is (id, ""), a bed's (facility, bed): bed ids are never empty, so they cannot collide. A pair, not
    // a joined string: the debt is looked up on every epoch of every bed.
    private static (string, string) OwnerKey(string? sleeperId, string facility, string bed) => sleeperId is null ? (facility, bed) : (sleeperId, "");

    private sealed record Counted(DateOnly Date, DateTimeOffset End, double TotalSleepMin);

    /// <summary>One owner's finished nights by id, and the debt before a date, cached until a night is added.</summary>
    private sealed class Account
    {
        private readonly Dictionary<string, Counted> _nights = new(StringComparer.Ordinal);
        private readonly Dictionary<DateOnly, double> _debtBefore = [];
        private readonly List<(DateTimeOffset Start, DateOnly Date, SleeperPrior Baseline)> _baselines = [];

        public void Add(string id, Counted night)
        {
            _nights[id] = night;
            _debtBefore.Clear();
        }

        public List<(string Id, Counted Night)> Take(Func<Counted, bool> which)
        {
            var taken = _nights.Where(kv => which(kv.Value)).Select(kv => (kv.Key, kv.Value)).ToList();
            foreach (var (id, _) in taken)
            {
                _nights.Remove(id);
            }

            _debtBefore.Clear();
            return taken;
        }

        public void AddBaseline(DateTimeOffset start, DateOnly date, SleeperPrior baseline)
        {
            _baselines.RemoveAll(b => b.Start == start);
            _baselines.Add((start, date, baseline));
            _baselines.Sort((a, b) => a.Start.CompareTo(b.Start));
            if (_baselines.Count > BaselinesKept)
            {
                _baselines.RemoveAt(0);
            }
        }

        public double DebtBefore(DateOnly date, double need)
        {
            if (!_debtBefore.TryGetValue(date, out var hours))
            {
                _debtBefore[date] = hours = SleeperDebt.Hours(Dated(date.AddDays(-1)), need).Hours;
            }

            return hours;
        }

        public DebtSummary Debt(DateOnly? through, double need) => SleeperDebt.FromTotals(Dated(through), need);

        private IEnumerable<(DateOnly, double)> Dated(DateOnly? through) =>
            _nights.Values.Where(n => through is null || n.Date <= through).Select(n => (n.Date, n.TotalSleepMin));

        public SleeperPrior? Prior(DateOnly date)
        {
            var recent = _baselines.Where(b => b.Date < date).TakeLast(PriorNights).Select(b => b.Baseline).ToList();
            return recent.Count == 0
                ? null
                : new SleeperPrior(Median(recent.Select(b => b.RestingHeartRate)), Median(recent.Select(b => b.HeartRateSpread)),
                    Median(recent.Select(b => b.UsualActivity)));
        }

        private static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
        }
    }
}
