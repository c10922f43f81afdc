using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Somnis.Bench;

/// <summary>A dashboard client: reads the hub's server-sent events and notes when each alarm raise arrives.</summary>
internal sealed class AlarmListener : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public AlarmListener(HttpClient http)
    {
        _reader = Task.Run(() => ReadAsync(http));
    }

    /// <summary>First push of each alarm that names the data message that raised it: (facility, bed, seq) → arrival timestamp.</summary>
    public ConcurrentDictionary<(string Facility, string Bed, long Seq), (long Arrived, string Type)> Raised { get; } = new();

    public Task Connected => _connected.Task;

    private async Task ReadAsync(HttpClient http)
    {
        var seen = new HashSet<string>();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/events");
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
            response.EnsureSuccessStatusCode();
            _connected.TrySetResult();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token));
            string? evt = null;
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    evt = line[6..].Trim();
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal) && evt == "alarm")
                {
                    var arrived = Stopwatch.GetTimestamp();
                    using var doc = JsonDocument.Parse(line[5..]);
                    var a = doc.RootElement;
                    if (a.TryGetProperty("triggerSeq", out var seq) && seq.ValueKind == JsonValueKind.Number
                        && a.GetProperty("bed").GetString() is { } bed && seen.Add(a.GetProperty("id").GetString() + "/" + seq.GetInt64()))
                    {
                        Raised.TryAdd((a.GetProperty("facility").GetString()!, bed, seq.GetInt64()), (arrived, a.GetProperty("type").GetString()!));
                    }
                }
                else if (line.Length == 0)
                {
                    evt = null;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
        {
            _connected.TrySetException(ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reader;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
