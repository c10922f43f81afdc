using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Somnis.Hub.Tests;

/// <summary>Collects formatted log lines so tests can check what was (and was not) logged.</summary>
public sealed class TestLogger<T> : ILogger<T>
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue(formatter(state, exception));
}
