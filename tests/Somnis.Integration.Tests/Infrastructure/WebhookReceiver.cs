using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace Somnis.Integration.Tests.Infrastructure;

/// <summary>An alarm webhook receiver on a free loopback port (<c>Alarms:Webhook:Url</c>): every notification's alarm id,
/// bed, type and state, in arrival order, so a test can tell a notification sent twice.</summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<Notification> _received = new();
    private readonly Task _loop;

    public WebhookReceiver()
    {
        Url = $"http://127.0.0.1:{Net.FreePort()}/alarms/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public IReadOnlyList<Notification> Received => [.. _received];

    /// <summary>Notifications received more than once (same alarm, same state).</summary>
    public IReadOnlyList<Notification> Twice() => [.. Received.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key)];

    public void Dispose()
    {
        _listener.Close();
        _ = _loop.Exception;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            var alarm = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.InputStream);
            _received.Enqueue(new Notification(
                alarm.GetProperty("id").GetString()!,
                alarm.TryGetProperty("bed", out var bed) ? bed.GetString() : null,
                alarm.GetProperty("type").GetString()!,
                alarm.GetProperty("state").GetString()!));
            context.Response.StatusCode = 204;
            context.Response.Close();
        }
    }

    public sealed record Notification(string Id, string? Bed, string Type, string State);
}
