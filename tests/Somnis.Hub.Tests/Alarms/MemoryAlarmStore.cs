using System.Data.Common;
using Somnis.Hub.Alarms;

namespace Somnis.Hub.Tests.Alarms;

/// <summary>An <see cref="IAlarmStore"/> in memory (the seam a server database fills), whose writes fail on demand like a
/// full disk. Thread-safe: the writer's background loop writes while a test reads.</summary>
internal sealed class MemoryAlarmStore : IAlarmStore
{
    private readonly Lock _sync = new();
    private readonly Dictionary<string, Alarm> _alarms = [];
    private readonly List<AuditEntry> _audit = [];

    /// <summary>Writes throw an <see cref="IOException"/> while set.</summary>
    public bool Fail { get; set; }

    /// <summary>Writes throw a transient <see cref="DbException"/> while set, as a database server that is down does.</summary>
    public bool Unreachable { get; set; }

    /// <summary>Write transactions attempted, failed ones included.</summary>
    public int Attempts { get; private set; }

    /// <summary>Transactions committed (one per <see cref="Save"/> or <see cref="SaveMany"/>).</summary>
    public int Transactions { get; private set; }

    public IReadOnlyList<AuditEntry> Audit
    {
        get
        {
            lock (_sync)
            {
                return [.. _audit];
            }
        }
    }

    public void Save(Alarm? alarm, IReadOnlyList<AuditEntry> audit) => SaveMany([new AlarmChange(alarm, audit)]);

    public void SaveMany(IReadOnlyList<AlarmChange> changes)
    {
        lock (_sync)
        {
            Attempts++;
            if (Unreachable)
            {
                throw new UnreachableException();
            }

            if (Fail)
            {
                throw new IOException("No space left on device");
            }

            foreach (var (alarm, audit) in changes)
            {
                if (alarm is not null)
                {
                    _alarms[alarm.Id] = alarm;
                }

                _audit.AddRange(audit.Select((a, i) => a with { Seq = _audit.Count + i + 1 }));
            }

            Transactions++;
        }
    }

    public IReadOnlyList<Alarm> LoadOpen()
    {
        lock (_sync)
        {
            return [.. _alarms.Values.Where(a => !a.Closed)];
        }
    }

    public IReadOnlyList<Alarm> QueryAlarms(AlarmFilter filter)
    {
        lock (_sync)
        {
            return [.. _alarms.Values.OrderByDescending(a => a.RaisedAt).Take(filter.Limit)];
        }
    }

    public Alarm? FindAlarm(string id)
    {
        lock (_sync)
        {
            return _alarms.GetValueOrDefault(id);
        }
    }

    public IReadOnlyList<AuditEntry> QueryAudit(AuditFilter filter)
    {
        lock (_sync)
        {
            return [.. _audit.Where(a => filter.AlarmId is null || a.AlarmId == filter.AlarmId).TakeLast(filter.Limit)];
        }
    }

    public void SaveInterlock(InterlockRequest request) => throw new NotSupportedException();

    public IReadOnlyList<InterlockRequest> LoadInterlocks() => [];
}

/// <summary>What a database client throws when its server does not answer (Npgsql: connection refused).</summary>
internal sealed class UnreachableException() : DbException("Failed to connect to 127.0.0.1:5432")
{
    public override bool IsTransient => true;
}
