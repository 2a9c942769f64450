using System.Text;
using System.Text.Json;
using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local.Instances;
using static Sesemi.Platform.Local.Tests.Scheduling.PoolHarness;

namespace Sesemi.Platform.Local.Tests.Scheduling;

/// <summary>An invoke storm beyond capacity with random crashes: every invocation is answered exactly once, with its own result.</summary>
public sealed class StormTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Storm_WithRandomCrashes_EveryInvocationAnsweredOnce_WithItsOwnResult(int seed)
    {
        const int Invocations = 400;
#pragma warning disable RS0030 // A seeded simulation: the storm's choices must be reproducible.
        var random = new Random(seed);
#pragma warning restore RS0030
        var randomGate = new Lock();
        await using var harness = Create(options =>
        {
            options.HostMemoryMb = 1024;
            options.MaxBufferedInvocations = Invocations;
        });
        harness.Launcher.Behaviour = async (instance, run) =>
        {
            int roll;
            lock (randomGate)
            {
                roll = random.Next(100);
            }

            await Task.Yield();
            switch (roll)
            {
                case < 8:
                    instance.Crash();
                    break;
                case < 12:
                    run.Reply("""{"error":"going away"}""", status: 503);
                    break;
                case < 20:
                    run.Reply("""{"error":"application says no"}""");
                    break;
                case < 25:
                    run.Reply("not json");
                    break;
                case < 28:
                    run.Fail(RunFailure.ConnectionFailed, "connection reset");
                    break;
                default:
                    run.Reply(run.Parameters);
                    break;
            }
        };
        await harness.DeployAsync("alpha", concurrency: 3);
        await harness.DeployAsync("beta", concurrency: 2);

        var answers = await Task.WhenAll(Enumerable.Range(0, Invocations).Select(i => Task.Run(() =>
            harness.InvokeAsync(i % 3 == 0 ? "beta" : "alpha", $$"""{"n":{{i}}}"""), Token))).WaitAsync(TimeSpan.FromSeconds(30), Token);

        for (var i = 0; i < Invocations; i++)
        {
            var answer = answers[i];
            switch (answer.Status)
            {
                case InvocationStatus.Success:
                    using (var result = JsonDocument.Parse(answer.Result))
                    {
                        Assert.Equal(i, result.RootElement.GetProperty("n").GetInt32());
                    }

                    break;
                case InvocationStatus.ApplicationError:
                    Assert.Equal("application says no", ErrorOf(answer));
                    break;
                case InvocationStatus.DeveloperError:
                    Assert.Matches("^(The action did not produce a valid (JSON object )?response)", ErrorOf(answer));
                    break;
                default:
                    Assert.Fail($"invocation {i} was {answer.Status}: {Encoding.UTF8.GetString(answer.Result.Span)} {answer.Error}");
                    break;
            }

            Assert.Matches("^[0-9a-f]{32}$", answer.ActivationId!);
        }

        Assert.Equal(Invocations, answers.Select(a => a.ActivationId).Distinct().Count());
        var counts = harness.Platform.Pool.Counts;
        Assert.Equal((Invocations, Invocations, 0L, 0L), (counts.Accepted, counts.Answered, counts.Abandoned, counts.DuplicateAnswers));
        Assert.True(harness.Launcher.LaunchCount > 4, "crashes make the platform start replacements");
        Assert.True(harness.Platform.Pool.UsedMemoryMb <= 1024);
    }
}
