using Sesemi.Cli.Bench.Suites;

namespace Sesemi.Cli.Tests.Bench;

/// <summary>The reader of the Azure Functions 2019 invocation files, on files written here in that format and on the shared samples.</summary>
public sealed class PackingTraceTests : IDisposable
{
    private const string SharedTrace = "azure-trace";

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sesemi-packing-trace-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void Read_FileInTheTraceFormat_KeepsTheWindowOfFunctionsInvokedInIt()
    {
        var csv = """
            HashOwner,HashApp,HashFunction,Trigger,1,2,3,4,5
            o1,a1,f1,http,0,2,0,1,0
            o1,a1,f2,queue,0,0,0,0,7
            o2,a2,f3,timer,1,1,1,1,1

            """;

        var (file, functions) = PackingTrace.Read(new StringReader(csv), "invocations.csv", 2, 4);

        Assert.Equal(new TraceFile("invocations.csv", 3, 1, 5, 5), file);
        Assert.Equal(["f1", "f3"], functions.Select(f => f.Function));
        Assert.Equal([2, 0, 1], functions[0].Counts);
        Assert.Equal([1, 1, 1], functions[1].Counts);
        Assert.Equal(("o2", "a2", "timer", 3L), (functions[1].Owner, functions[1].App, functions[1].Trigger, functions[1].Total));
    }

    [Fact]
    public void Read_KeyColumnsInAnotherOrderAndMinutesFrom480_FindsColumnsByName()
    {
        var csv = "HashFunction,HashOwner,HashApp,Trigger,480,481,482\r\nf1,o1,a1,event,5,6,7\r\n";

        var (file, functions) = PackingTrace.Read(new StringReader(csv), "sample/invocations.csv", 2, 3);
        var window = new TraceWindow([file], functions, 2, 3);

        Assert.Equal((480, 482, 3), (file.FirstLabel, file.LastLabel, file.Minutes));
        Assert.Equal(("f1", "o1", "a1", "event"), (functions[0].Function, functions[0].Owner, functions[0].App, functions[0].Trigger));
        Assert.Equal([6, 7], functions[0].Counts);
        Assert.Contains("labels 481–482 of sample/invocations.csv", window.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_WithoutTrigger_CallsItUnknown()
    {
        var (_, functions) = PackingTrace.Read(new StringReader("HashFunction,1,2\nf1,0,3\n"), "x.csv", 1, 2);

        Assert.Equal("unknown", Assert.Single(functions).Trigger);
    }

    [Theory]
    [InlineData("HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,2\n", 2, 3)]
    [InlineData("HashOwner,HashApp,Trigger,1,2\no,a,http,1,2\n", 1, 2)]
    [InlineData("HashOwner,HashApp,HashFunction,Trigger\no,a,f,http\n", 1, 1)]
    [InlineData("HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1\n", 1, 2)]
    [InlineData("HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,x\n", 1, 2)]
    [InlineData("", 1, 1)]
    public void Read_NotTheFormatOrWindowOutside_Throws(string csv, int first, int last)
    {
        Assert.Throws<FormatException>(() => PackingTrace.Read(new StringReader(csv), "bad.csv", first, last));
    }

    [Fact]
    public void FindFiles_DirectoryWithSubfolders_FindsTheirInvocationFiles()
    {
        foreach (var folder in (string[])["b", "a"])
        {
            var path = Directory.CreateDirectory(Path.Combine(_directory.FullName, folder)).FullName;
            File.WriteAllText(Path.Combine(path, "invocations.csv"), "HashFunction,1\nf,1\n");
            File.WriteAllText(Path.Combine(path, "durations.csv"), "HashFunction,Average\nf,1\n");
        }

        var files = PackingTrace.FindFiles(_directory.FullName);

        Assert.Equal([Path.Combine(_directory.FullName, "a", "invocations.csv"), Path.Combine(_directory.FullName, "b", "invocations.csv")], files);
        Assert.Equal([files[0]], PackingTrace.FindFiles(files[0]));
        Assert.Throws<FileNotFoundException>(() => PackingTrace.FindFiles(Path.Combine(_directory.FullName, "missing")));
    }

    [Fact]
    public void ToWorkload_SpreadsEachMinutesCountWithinItsMinute_ModelsByPopularity()
    {
        var path = Path.Combine(_directory.FullName, "invocations.csv");
        File.WriteAllText(path, "HashOwner,HashApp,HashFunction,Trigger,1,2,3\no,a,rare,http,0,0,1\no,a,busy,queue,3,0,2\n");
        var window = PackingTrace.Read(_directory.FullName, 1, 3);

        var workload = PackingTrace.ToWorkload(window, window.Functions, cap: 100, seed: 5, "all");
        var again = PackingTrace.ToWorkload(window, window.Functions, cap: 100, seed: 5, "all");

        Assert.Equal(["busy", "rare"], workload.Functions.Select(f => f.Name));
        Assert.Equal(TimeSpan.FromMinutes(3), workload.Length);
        var busy = workload.Events.Where(e => e.Model == 0).Select(e => e.At.TotalMinutes).ToList();
        Assert.Equal(3, busy.Count(m => m is >= 0 and < 1));
        Assert.Equal(2, busy.Count(m => m is >= 2 and < 3));
        Assert.InRange(Assert.Single(workload.Events, e => e.Model == 1).At.TotalMinutes, 2, 3);
        Assert.Equal(workload.Events.OrderBy(e => e.At), workload.Events);
        Assert.Equal(workload.Events, again.Events);
        Assert.Null(workload.PerFunctionCap);
    }

    [Fact]
    public void Select_TopOrSeededSample()
    {
        var functions = Enumerable.Range(0, 40)
            .Select(i => new TraceFunction(new TraceFile("f", 40, 1, 1, 1), "o", "a", $"fn{i:00}", "http", [i + 1]))
            .ToList();

        Assert.Equal(["fn39", "fn38", "fn37"], PackingTrace.Select(functions, 3, TraceSelection.Top, 1).Select(f => f.Function));
        var sample = PackingTrace.Select(functions, 10, TraceSelection.Sample, 1);
        Assert.Equal(10, sample.Select(f => f.Function).Distinct().Count());
        Assert.Equal(sample, PackingTrace.Select(functions, 10, TraceSelection.Sample, 1));
        Assert.NotEqual(sample, PackingTrace.Select(functions, 10, TraceSelection.Sample, 2));
        Assert.Equal(40, PackingTrace.Select(functions, 50, TraceSelection.Sample, 1).Count);
    }

    [Fact]
    public void Read_SharedSamplesOfTheRealTrace_ReadsBothFiles()
    {
        var directory = FindShared(SharedTrace);
        if (directory is null)
        {
            Assert.Skip($"../shared/testdata/{SharedTrace} is not beside this checkout (public test data lives there and is never copied into the repository).");
        }

        var window = PackingTrace.Read(directory, 1, 10);

        Assert.Equal(2, window.Files.Count);
        var day = Assert.Single(window.Files, f => f.Path.Contains("invitro-10fn-24h", StringComparison.Ordinal));
        var hours = Assert.Single(window.Files, f => f.Path.Contains("invitro-500fn-8h", StringComparison.Ordinal));
        Assert.Equal((10, 1, 1440, 1440), (day.Rows, day.FirstLabel, day.LastLabel, day.Minutes));
        Assert.Equal((500, 480, 959, 480), (hours.Rows, hours.FirstLabel, hours.LastLabel, hours.Minutes));
        Assert.Equal(324, window.Functions.Count(f => f.File == hours));
        Assert.Equal(63_139, window.Functions.Where(f => f.File == hours).Sum(f => f.Total));
        Assert.Equal(90_435, window.Functions.Where(f => f.File == day).Sum(f => f.Total));
        Assert.All(window.Functions, f => Assert.Equal(10, f.Counts.Count));

        var workload = PackingTrace.ToWorkload(window, PackingTrace.Select(window.Functions, 50, TraceSelection.Sample, 1), cap: 1000, seed: 1, "sample");
        Assert.Equal(50, workload.Functions.Count);
        Assert.InRange(workload.Events.Count, 900, 1000);
        Assert.All(workload.Functions, f => Assert.InRange(f.Replayed, 1, f.Invocations));
        Assert.All(workload.Events, e => Assert.InRange(e.At, TimeSpan.Zero, TimeSpan.FromMinutes(10)));
    }

    /// <summary><c>../shared/testdata/&lt;relative&gt;</c> beside the checkout (found from the test's output directory), or null.</summary>
    private static string? FindShared(string relative)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Sesemi.slnx")))
            {
                var path = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "testdata", relative));
                return Directory.Exists(path) ? path : null;
            }
        }

        return null;
    }
}
