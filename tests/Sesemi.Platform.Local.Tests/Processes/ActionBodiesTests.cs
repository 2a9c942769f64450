using System.Text;
using Sesemi.Platform.Local.Instances;
using Sesemi.Platform.Local.Processes;

namespace Sesemi.Platform.Local.Tests.Processes;

/// <summary>The bodies of <c>/init</c> and <c>/run</c> as OpenWhisk's invoker sends them (serverless-platforms.md §1.2, §1.3).</summary>
public sealed class ActionBodiesTests
{
    [Fact]
    public void Init_IsAnImageOnlyInitialization()
    {
        Assert.Equal(
            """{"value":{"name":"fn-1","main":"main","code":"","binary":false,"env":{}}}""",
            Encoding.UTF8.GetString(ActionBodies.Init("fn-1")));
    }

    [Fact]
    public async Task Run_CarriesTheParametersAsValue_AndTheActivationFields_DeadlineAsEpochMillisecondsText()
    {
        var request = new RunRequest(
            """{"a":[1,2],"b":"é"}"""u8.ToArray(),
            "guest",
            "/guest/fn-1",
            "0.0.3",
            "0123456789abcdef0123456789abcdef",
            "fedcba9876543210fedcba9876543210",
            DateTimeOffset.FromUnixTimeMilliseconds(1657606129470));

        using var content = ActionBodies.Run(request);
        var body = await content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);

        Assert.Equal(
            """{"value":{"a":[1,2],"b":"é"},"namespace":"guest","action_name":"/guest/fn-1","action_version":"0.0.3","activation_id":"0123456789abcdef0123456789abcdef","transaction_id":"fedcba9876543210fedcba9876543210","deadline":"1657606129470"}""",
            Encoding.UTF8.GetString(body));
        Assert.Equal(body.Length, content.Headers.ContentLength);
        Assert.Equal("application/json", content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public void LoopbackPorts_AreFreeAndNotHandedOutTwiceInARow()
    {
        var ports = Enumerable.Range(0, 20).Select(_ => LoopbackPorts.Reserve()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, port => Assert.InRange(port, 1, 65535));
    }

    [Fact]
    public void OutputTail_KeepsTheLastNonBlankLines_Shortened()
    {
        var tail = new OutputTail();
        for (var i = 0; i < 60; i++)
        {
            tail.Add($"line {i}");
        }

        tail.Add(" ");
        tail.Add(new string('x', 400));

        Assert.Equal("line 58 | line 59", tail.Last(3)[..17]);
        Assert.EndsWith(new string('x', 300) + "…", tail.Last(1), StringComparison.Ordinal);
    }
}
