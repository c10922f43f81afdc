using Microsoft.Data.Sqlite;
using Npgsql;

namespace Somnis.Hub.Storage;

/// <summary>What a store failure means to the caller, whichever store raised it.</summary>
internal static class StoreErrors
{
    /// <summary>SQLITE_CONSTRAINT: the primary result code of every constraint violation.</summary>
    private const int SqliteConstraint = 19;

    /// <summary>
    /// The store refused the change because of its own constraints (a unique index, a foreign key, a check): another
    /// change got there first, and trying again after a fresh read may succeed. Anything else is the store itself.
    /// </summary>
    public static bool IsConflict(Exception ex) => ex switch
    {
        SqliteException s => s.SqliteErrorCode == SqliteConstraint,
        // Class 23: integrity constraint violation (unique, foreign key, check, not null, exclusion).
        PostgresException p => p.SqlState.StartsWith("23", StringComparison.Ordinal),
        _ => false,
    };
}
