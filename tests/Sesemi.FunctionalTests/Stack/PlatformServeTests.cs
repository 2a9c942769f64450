using System.Text;
using System.Text.RegularExpressions;
using Sesemi.Gateway.Platforms;
using Sesemi.Platform.OpenWhisk;

namespace Sesemi.FunctionalTests.Stack;

/// <summary>
/// The real <c>sesemi platform serve</c>: the local platform's OpenWhisk REST API in its own process, starting real
/// runtime processes (<c>sesemi/runtime</c>) on demand, driven by Sesemi's OpenWhisk client as a real OpenWhisk would be.
/// </summary>
public sealed partial class PlatformServeTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("sesemi-platform-");

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

    [GeneratedRegex(@"Local platform listening on (http://\S+/)")]
    private static partial Regex Listening();

    [Fact]
    public async Task RuntimeAction_ColdThenWarm_AnswersTheRuntimesOwnErrors_AndCredentialsAreChecked()
    {
        var (service, lines) = await ServiceProcess.StartAsync(_directory.FullName, ["platform", "serve", "--port", "0", "--memory-mb", "4096"], [Listening()], Token);
        await using (service)
        {
            var url = new Uri(lines[0].Groups[1].Value);
            var auth = (await File.ReadAllTextAsync(Path.Combine(_directory.FullName, ".sesemi", "platform", "auth"), Token)).Trim();
            await using var platform = OpenWhiskPlatform.Create(new OpenWhiskOptions { ApiHost = url, Auth = auth }, TimeProvider.System);

            var deployed = await platform.DeployAsync(new FunctionSpec { Name = "rt", Image = "sesemi/runtime:1", Concurrency = 2, MemoryMb = 1024, Timeout = TimeSpan.FromSeconds(60) }, overwrite: false, Token);
            Assert.True(deployed.IsSuccess, deployed.Error?.ToString() + service.Output);

            // Not a Sesemi request: the runtime itself (a real process the platform started) refuses it with its code.
            var cold = await platform.InvokeAsync("rt", Encoding.UTF8.GetBytes("{}"), Token);
            var warm = await platform.InvokeAsync("rt", Encoding.UTF8.GetBytes("{}"), Token);

            Assert.Equal(InvocationStatus.ApplicationError, cold.Status);
            Assert.Contains("request.malformed", Encoding.UTF8.GetString(cold.Result.Span), StringComparison.Ordinal);
            Assert.True(cold.ColdStart, service.Output);
            Assert.Equal(InvocationStatus.ApplicationError, warm.Status);
            Assert.False(warm.ColdStart);
            Assert.Single(ServiceProcess.ChildrenOf(service.Id));

            await using var intruder = OpenWhiskPlatform.Create(new OpenWhiskOptions { ApiHost = url, Auth = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:wrong" }, TimeProvider.System);
            var refused = await intruder.InvokeAsync("rt", Encoding.UTF8.GetBytes("{}"), Token);
            Assert.Equal(PlatformErrorCode.Unauthorized, refused.Error?.Code);

            Assert.True((await platform.DeleteAsync("rt", Token)).IsSuccess);
            Assert.Equal(PlatformErrorCode.NotFound, (await platform.InvokeAsync("rt", Encoding.UTF8.GetBytes("{}"), Token)).Error?.Code);

            Assert.Equal(0, await service.InterruptAsync(Token));
        }
    }
}
