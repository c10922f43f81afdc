using System.Globalization;
using System.Text;
using System.Text.Json;
using Somnis.Hub.Detection;

namespace Somnis.Hub.Tests.Detection;

public sealed class AnalyzeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("somnis-analyze-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Output => Path.Combine(_dir, "epochs.csv");

    private string WriteInput(string text)
    {
        var path = Path.Combine(_dir, "night.csv");
        File.WriteAllText(path, text);
        return path;
    }

    private (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = AnalyzeCommand.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A synthetic 3-h night: 20 min restless and fast-hearted, then still with a low heart rate, with a
    /// 10-min restless awakening after 90 min. Motion every 15 s, HR every 5 s, on separate rows.</summary>
    private static string SyntheticNight()
    {
        var s = new StringBuilder("heart_rate,extra,motion,time\n");
        for (var t = 5; t <= 3 * 3600; t += 5)
        {
            var awake = t < 20 * 60 || (t >= 90 * 60 && t < 100 * 60);
            var hr = (awake ? 78 : 56) + (t / 5 % 3);
            s.Append(CultureInfo.InvariantCulture, $"{hr},x,,{t}\n");
            if (t % 15 == 0)
            {
                s.Append(CultureInfo.InvariantCulture, $",x,{(awake ? 150 + (t % 45) : t % 600 == 0 ? 12 : 0)},{t}\n");
            }
        }

        return s.ToString();
    }

    [Fact]
    public void Happy_path_writes_every_epoch_and_a_json_summary()
    {
        var input = WriteInput(SyntheticNight());

        var (code, stdout, stderr) = Run("--input", input, "--output", Output, "--need", "7");

        Assert.True(code == 0, stderr);
        var lines = File.ReadAllLines(Output);
        Assert.StartsWith("epoch_start,state", lines[0]);
        // The last HR reading, at exactly 3 h, opens the epoch [10800, 10830).
        Assert.Equal((3 * 3600 / 30) + 1, lines.Length - 1);
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        Assert.All(rows, (r, i) => Assert.Equal((i * 30).ToString(CultureInfo.InvariantCulture), r[0]));
        Assert.All(rows, r => Assert.Contains(r[1], new[] { "sleep", "wake" }));
        Assert.Equal("wake", rows[10][1]);    // restless start
        Assert.Equal("sleep", rows[120][1]);  // 60 min: still, low HR
        Assert.Equal("wake", rows[190][1]);   // 95 min: restless awakening
        Assert.Equal("sleep", rows[300][1]);  // 150 min

        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        var tst = root.GetProperty("total_sleep_min").GetDouble();
        Assert.InRange(tst, 120, 160);
        Assert.True(root.GetProperty("short_night").GetBoolean());
        // 20 min restless, then the settling the motion windows imply (the model learned PSG latency after movement).
        Assert.InRange(root.GetProperty("sleep_onset_latency_min").GetDouble(), 18, 35);
        Assert.True(root.GetProperty("awakenings").GetInt32() >= 1);
        // The 10-min awakening plus the settling the ±10-min motion window and 20-min past window imply.
        Assert.InRange(root.GetProperty("waso_min").GetDouble(), 8, 35);
        // The estimate counts each epoch called wake as its p(wake): the restless awakening nearly whole, the settling less.
        Assert.InRange(root.GetProperty("expected_waso_min").GetDouble(), 5, root.GetProperty("waso_min").GetDouble());
        Assert.Equal(0, root.GetProperty("no_signal_min").GetDouble());
        Assert.InRange(root.GetProperty("expected_sleep_min").GetDouble(), 120, 160);

        // The assessments that held, in seconds from the recording start: the night was short, and the restless
        // awakening at 90–100 min (HR 78–80 over a sleeping 56–58) was a sustained arousal. No Architect, no deprivation.
        var assessments = root.GetProperty("assessments").EnumerateArray().ToList();
        var loss = Assert.Single(assessments, a => a.GetProperty("type").GetString() == "acute-sleep-loss");
        Assert.Equal(0, loss.GetProperty("start").GetDouble());
        Assert.Equal(10830, loss.GetProperty("end").GetDouble());
        Assert.Equal("short-night", loss.GetProperty("evidence").GetProperty("reason").GetString());
        var arousal = Assert.Single(assessments, a => a.GetProperty("type").GetString() == "sustained-arousal");
        Assert.InRange(arousal.GetProperty("start").GetDouble(), 90 * 60 - 60, 92 * 60);
        Assert.InRange(arousal.GetProperty("end").GetDouble(), 98 * 60, 100 * 60 + 60);
        Assert.True(arousal.GetProperty("evidence").GetProperty("mean_hr").GetDouble() > 75);
        Assert.DoesNotContain(assessments, a => a.GetProperty("type").GetString() == "architect-deprivation");
        Assert.Equal(["epochs.csv", "night.csv"], Directory.GetFiles(_dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void A_stimulating_column_lets_architect_deprivation_be_judged_offline()
    {
        // 2 h of still sleep, then 40 min of Architect stimulation that keeps the sleeper restless at 80 bpm.
        var s = new StringBuilder("time,motion,heart_rate,stimulating\n");
        for (var t = 15; t <= 3 * 3600; t += 15)
        {
            var kept = t > 120 * 60 && t <= 160 * 60;
            s.Append(CultureInfo.InvariantCulture, $"{t},{(kept ? 120 + (t % 45) : 0)},{(kept ? 80 : 55) + (t / 15 % 3)},{(kept ? 1 : 0)}\n");
        }

        var (code, stdout, stderr) = Run("--input", WriteInput(s.ToString()), "--output", Output);

        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var deprivation = Assert.Single(json.RootElement.GetProperty("assessments").EnumerateArray(),
            a => a.GetProperty("type").GetString() == "architect-deprivation");
        Assert.InRange(deprivation.GetProperty("start").GetDouble(), 100 * 60, 160 * 60);
        // It holds while half of the 30-min window is still stimulated: up to 15 min after the stimulation ends.
        Assert.InRange(deprivation.GetProperty("end").GetDouble(), 135 * 60, 176 * 60);
        Assert.True(deprivation.GetProperty("evidence").GetProperty("hr_rise").GetDouble() >= 0.10);
        Assert.Equal(2, Run("--input", WriteInput("time,motion,heart_rate,stimulating\n0,1,60,maybe\n"), "--output", Output).Code);
    }

    [Fact]
    public void Offline_analysis_equals_the_live_scorer_fed_sample_by_sample()
    {
        var input = WriteInput(SyntheticNight());
        Assert.Equal(0, Run("--input", input, "--output", Output).Code);
        var offline = File.ReadAllLines(Output).Skip(1).Select(l => l.Split(',')[1]).ToList();

        // Live: vitals messages every 10 s, draining finalized epochs as they come.
        var origin = new DateTimeOffset(2025, 1, 1, 22, 0, 0, TimeSpan.Zero);
        var live = new EpochScorer(origin);
        var states = new List<EpochState>();
        var lines = File.ReadAllLines(input).Skip(1).Select(l => l.Split(',')).ToList();
        foreach (var f in lines)
        {
            var t = double.Parse(f[3], CultureInfo.InvariantCulture);
            double? hr = f[0].Length > 0 ? double.Parse(f[0], CultureInfo.InvariantCulture) : null;
            double? motion = f[2].Length > 0 ? double.Parse(f[2], CultureInfo.InvariantCulture) : null;
            if (motion is not null)
            {
                live.Add(origin.AddSeconds(t), 15, motion, null, null, false);
            }

            if (hr is not null)
            {
                live.Add(origin.AddSeconds(t), 0, null, hr, null, false);
            }

            states.AddRange(live.TakeFinalized().Select(e => e.State));
            // Lag bound: nothing older than lookahead + grace + 2 epochs is left unfinalized.
            Assert.True(live.Finalized.Count * 30 >= t - ((EpochScorer.LookaheadEpochs + 2) * 30) - EpochScorer.Grace.TotalSeconds,
                $"at {t}s only {live.Finalized.Count} epochs final");
        }

        live.ExtendTo(3 * 3600);
        live.Complete();
        states.AddRange(live.TakeFinalized().Select(e => e.State));
        Assert.Equal(offline, states.Select(s => s == EpochState.Sleep ? "sleep" : "wake").ToList());
    }

    public static TheoryData<string, string[], string[]> BadInputs => new()
    {
        { "time,motion,heart_rate\n0,1,60\n", ["--output", "{out}"], ["--input"] },
        { "time,motion,heart_rate\n0,1,60\n", ["--input", "{in}"], ["--output"] },
        { "", ["--input", "{in}", "--output", "{out}"], ["line 1", "empty"] },
        { "time,heart_rate\n0,60\n", ["--input", "{in}", "--output", "{out}"], ["line 1", "motion"] },
        { "time,motion,heart_rate\n0,1,60\n15,abc,61\n", ["--input", "{in}", "--output", "{out}"], ["line 3", "motion", "abc"] },
        { "time,motion,heart_rate\n0,1,60\n15,2,sixty\n", ["--input", "{in}", "--output", "{out}"], ["line 3", "heart_rate"] },
        { "time,motion,heart_rate\n0,1,60\n30,2,61\n15,2,62\n", ["--input", "{in}", "--output", "{out}"], ["line 4", "time"] },
        { "time,motion,heart_rate\n0,1,60\n,2,61\n", ["--input", "{in}", "--output", "{out}"], ["line 3", "time"] },
        { "time,motion,heart_rate\n", ["--input", "{in}", "--output", "{out}"], ["no data rows"] },
        { "time,motion,heart_rate\n0,1,60\n", ["--input", "{in}", "--output", "{out}", "--need", "x"], ["--need"] },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_input_exits_2_names_the_place_and_writes_nothing(string content, string[] args, string[] expected)
    {
        var input = WriteInput(content);
        var resolved = args.Select(a => a.Replace("{in}", input, StringComparison.Ordinal).Replace("{out}", Output, StringComparison.Ordinal)).ToArray();

        var (code, stdout, stderr) = Run(resolved);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.All(expected, e => Assert.Contains(e, stderr, StringComparison.Ordinal));
        Assert.False(File.Exists(Output));
        Assert.Equal([input], Directory.GetFiles(_dir));
    }

    [Fact]
    public void Existing_output_is_left_intact_when_input_is_bad()
    {
        File.WriteAllText(Output, "previous");
        var input = WriteInput("time,motion,heart_rate\n0,1,60\n15,bad,61\n");

        Assert.Equal(2, Run("--input", input, "--output", Output).Code);
        Assert.Equal("previous", File.ReadAllText(Output));
    }
}
