using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Somnis.Bench.Micro;

// somnis-bench-micro [--job quick|short] [--only Class[,Class]] [--out FILE.json]: the hot paths under BenchmarkDotNet (docs/performance.md).
// In-process toolchain: no generated project to build, so it runs from a plain Release build in seconds.
var job = args.SkipWhile(a => a != "--job").Skip(1).FirstOrDefault() ?? "short";
var output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault();
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',');
var baseJob = job == "quick"
    ? Job.Dry.WithWarmupCount(1).WithIterationCount(3).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(150)).WithLaunchCount(1).WithStrategy(BenchmarkDotNet.Engines.RunStrategy.Throughput)
    : Job.ShortRun;
var config = ManualConfig.CreateMinimumViable()
    .AddJob(baseJob.WithToolchain(InProcessEmitToolchain.Instance))
    .AddDiagnoser(BenchmarkDotNet.Diagnosers.MemoryDiagnoser.Default)
    .WithOptions(ConfigOptions.DisableLogFile | ConfigOptions.JoinSummary);
Type[] all = [typeof(PayloadParseValidate), typeof(EpochScoring), typeof(EpochRecording), typeof(AlarmEvaluation), typeof(JournalAppend), typeof(StoreAppend), typeof(DeliveryAccounting), typeof(StudyOverNights), typeof(NightReplay)];
var summary = BenchmarkRunner.Run([.. all.Where(t => only is null || only.Contains(t.Name))], config);
var results = new JsonArray();
foreach (var s in summary)
{
    foreach (var r in s.Reports)
    {
        var name = $"{r.BenchmarkCase.Descriptor.Type.Name}.{r.BenchmarkCase.Descriptor.WorkloadMethod.Name}";
        var mean = r.ResultStatistics?.Mean;
        var bytes = r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase);
        results.Add(new JsonObject { ["name"] = name, ["mean_ns"] = mean is { } m ? Math.Round(m, 1) : null, ["allocated_bytes"] = bytes });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MICRO {name} {mean:0.0} ns {bytes} B"));
    }
}

if (output is not null)
{
    await File.WriteAllTextAsync(output, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
}

return summary.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
