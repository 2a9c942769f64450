using System.Net;
using System.Text.RegularExpressions;

namespace Sesemi.FunctionalTests.Stack;

/// <summary>The real <c>sesemi up</c>: the whole stack in one process, addresses printed, Ctrl-C stops it cleanly.</summary>
public sealed partial class UpTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sesemi-up-");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"^\s+KeyService\s+(https://\S+/)")]
    private static partial Regex KeyService();

    [GeneratedRegex(@"^\s+local platform\s+(http://\S+/)api/v1")]
    private static partial Regex Platform();

    [GeneratedRegex(@"^\s+gateway\s+(http://\S+/)")]
    private static partial Regex Gateway();

    [GeneratedRegex(@"^\s+runtime image\s+sesemi/runtime:\S+\s+\(measurement (sim:mrenclave:[0-9a-f]{64})\)")]
    private static partial Regex Measurement();

    [Fact]
    public async Task Up_PrintsWhereEachPartListens_EachAnswers_AndCtrlCStopsEverything()
    {
        var (service, lines) = await ServiceProcess.StartAsync(
            _directory.FullName,
            ["up", "--data", Path.Combine(_directory.FullName, "state"), "--keyservice-port", "0", "--platform-port", "0", "--gateway-port", "0"],
            [KeyService(), Platform(), Gateway(), Measurement()],
            Token);
        await using (service)
        {
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
            using var health = await http.GetAsync(new Uri(new Uri(lines[2].Groups[1].Value), "healthz"), Token);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            using var unauthenticated = await http.GetAsync(new Uri(new Uri(lines[1].Groups[1].Value), "api/v1/namespaces/_/actions"), Token);
            Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
            Assert.True(File.Exists(Path.Combine(_directory.FullName, "state", "keyservice", "connection.json")));

            var pid = service.Id;
            Assert.Equal(0, await service.InterruptAsync(Token));
            Assert.Contains("stopping", service.Output, StringComparison.Ordinal);
            Assert.Empty(ServiceProcess.ChildrenOf(pid));
        }
    }
}
