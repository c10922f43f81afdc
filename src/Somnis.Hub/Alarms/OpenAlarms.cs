namespace Somnis.Hub.Alarms;

/// <summary>Who caused a change, which decides how it reaches the store.</summary>
internal enum CommitMode
{
    /// <summary>The system's own change (raise, clear, group, escalate…): queued to the <see cref="AlarmStoreWriter"/>,
    /// which writes it moments later and before the messages behind it are acknowledged; it takes effect at once. A store
    /// failure is logged and counted but the alarm still changes: alarming must not stop because the disk is full.</summary>
    System,

    /// <summary>An operator's action: stored first (after everything queued before it; all its changes in one transaction)
    /// and only then made current. A failed write throws and changes nothing.</summary>
    Operator,
}

/// <summary>Whether this hub's alarm changes take effect outside it (docs/high-availability.md, "Roles").</summary>
internal enum AlarmMode
{
    /// <summary>The only hub: changes are stored and notified at once (notifications do not wait for the store).</summary>
    Acting,

    /// <summary>The active of several hubs: a system change is notified only once it is stored under this node's lease term,
    /// so a change the store refuses (a stale node) or never received (killed first) is never announced by it.</summary>
    ActingAfterStore,

    /// <summary>A standby: changes live in memory only (it knows what holds); nothing is stored or notified, and an operator
    /// action is refused.</summary>
    Shadow,
}

/// <summary>
/// The open alarms (at most one per <see cref="AlarmKey"/>) and the one way a new version of an alarm becomes current,
/// <see cref="Commit(IReadOnlyList{AlarmChange}, CommitMode)"/>: stored as its <see cref="CommitMode"/> says, put in place
/// of the old version (removed once closed), then raised through <see cref="Changed"/>. Not thread-safe: the
/// <see cref="AlarmEngine"/> holds its lock around every use, which is also what lets listeners see one alarm's versions in order.
/// </summary>
internal sealed class OpenAlarms(AlarmStoreWriter writer, ILogger logger)
{
    private readonly Dictionary<AlarmKey, Alarm> _open = [];

    /// <summary>Raised for every committed version, in order (listeners only queue, never block; one that throws is logged
    /// and the others are still called).</summary>
    public event Action<Alarm>? Changed;

    public int Count => _open.Count;

    /// <summary>Set by the <see cref="AlarmEngine"/> under its lock when the node's role changes.</summary>
    public AlarmMode Mode { get; set; } = AlarmMode.Acting;

    public IReadOnlyCollection<Alarm> All => _open.Values;

    public Alarm? Get(AlarmKey key) => _open.GetValueOrDefault(key);

    public Alarm? WithId(string id) => _open.Values.FirstOrDefault(a => a.Id == id);

    /// <summary>Takes a version without storing or notifying it: one loaded from the store, or a repeat's newer evidence
    /// (kept in memory until the alarm's next stored change).</summary>
    public void Put(Alarm alarm) => _open[alarm.Key] = alarm;

    public void Commit(Alarm alarm, IReadOnlyList<AuditEntry> audit, CommitMode mode) => Commit([new AlarmChange(alarm, audit)], mode);

    /// <summary>Has the changes stored as <paramref name="mode"/> says, then makes each version current and notifies it.</summary>
    public void Commit(IReadOnlyList<AlarmChange> changes, CommitMode mode)
    {
        var notifyNow = Mode == AlarmMode.Acting || mode == CommitMode.Operator;
        if (Mode == AlarmMode.Shadow)
        {
            if (mode == CommitMode.Operator)
            {
                throw new InvalidOperationException("this hub is a standby: operator actions are taken by the active hub");
            }

            notifyNow = false;
        }
        else if (mode == CommitMode.Operator)
        {
            writer.SaveNow(changes);
        }
        else
        {
            foreach (var c in changes)
            {
                writer.Enqueue(c.Alarm, c.Audit, Mode == AlarmMode.ActingAfterStore ? Notify : null);
            }
        }

        foreach (var alarm in changes.Select(c => c.Alarm!))
        {
            if (alarm.Closed)
            {
                _open.Remove(alarm.Key);
            }
            else
            {
                _open[alarm.Key] = alarm;
            }

            if (notifyNow)
            {
                Notify(alarm);
            }
        }
    }

    /// <summary>Forgets every alarm (a takeover reloads them from the store).</summary>
    public void Clear() => _open.Clear();

    private void Notify(Alarm alarm)
    {
        if (Changed is not { } changed)
        {
            return;
        }

        // Each listener on its own: one that fails must not cost the others (live feed, MQTT, webhook) the change.
        foreach (var listener in changed.GetInvocationList().Cast<Action<Alarm>>())
        {
            try
            {
                listener(alarm);
            }
            catch (Exception ex)
            {
                // By design: a failing notifier must not undo or block the alarm change.
                Log.AlarmNotifyFailed(logger, alarm.Id, ex);
            }
        }
    }
}
