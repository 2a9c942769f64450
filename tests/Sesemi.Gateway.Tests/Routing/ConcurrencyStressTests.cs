using System.Text;
using Sesemi.Gateway.Platforms;
using Sesemi.Gateway.Routing;

namespace Sesemi.Gateway.Tests.Routing;

public sealed class ConcurrencyStressTests
{
    [Theory]
    [InlineData(PolicyNames.Sesemi, 1)]
    [InlineData(PolicyNames.Sesemi, 2)]
    [InlineData(PolicyNames.Reference, 3)]
    [InlineData(PolicyNames.Dedicated, 4)]
    public async Task ManyParallelRequests_RandomCompletionOrder_EachAnsweredOnce_NothingLeaks(string policy, ulong seed)
    {
        const int Requests = 400;
        await using var harness = new PackerHarness(new FnPackerOptions { DedicatedInstancesPerFunction = 1 });
        await harness.CreateAsync(PackerHarness.Spec(policy, poolSize: 5, minFunctions: 1, concurrency: 2,
            queueCapacity: Requests, queueDeadline: TimeSpan.FromHours(1)));
        var random = new SplitMix64(seed);
        var models = Enumerable.Range(0, 12).Select(i => $"owner/model-{i}").ToArray();
        var chosen = Enumerable.Range(0, Requests).Select(_ => models[random.Next(models.Length)]).ToArray();

        var requests = chosen.Select(model => Task.Run(() => harness.Invoke(model), TestContext.Current.CancellationToken)).ToArray();
        var answered = Task.WhenAll(requests);
        var pending = new List<FakeCall>();
        var completed = 0;
        while (!answered.IsCompleted)
        {
            while (harness.Platform.HasPendingCall)
            {
                pending.Add(await harness.Platform.NextCallAsync());
            }

            if (pending.Count == 0)
            {
                await Task.WhenAny(answered, Task.Delay(1, TestContext.Current.CancellationToken));
                continue;
            }

            var index = random.Next(pending.Count);
            var call = pending[index];
            pending.RemoveAt(index);
            var roll = random.Next(20);
            _ = roll switch
            {
                0 => call.DeveloperError("crashed"),
                1 => call.Reject(PlatformErrorCode.Throttled),
                2 => call.ApplicationError(Encoding.UTF8.GetBytes("""{"error":{"code":"keys.unreachable","message":"m"}}""")),
                _ => call.Succeed(TimeSpan.FromMilliseconds(1 + random.Next(50)), coldStart: roll == 3),
            };
            completed++;
            if (random.Next(8) == 0)
            {
                harness.Advance(TimeSpan.FromMilliseconds(random.Next(20)));
            }
        }

        var outcomes = await answered;
        Assert.Empty(pending);
        Assert.Equal(0, harness.Platform.InvokedMissing); // never routed to a function not (or no longer) deployed
        Assert.Equal(completed, harness.Platform.Invoked.Count); // each dispatched request reached the platform once
        for (var i = 0; i < Requests; i++)
        {
            var outcome = outcomes[i];
            Assert.Equal(chosen[i], outcome.Model);
            if (outcome.IsSuccess && !outcome.IsApplicationError)
            {
                Assert.Equal(FakeCall.ResultFor(chosen[i]), outcome.Response.ToArray()); // never another request's answer
            }
            else if (!outcome.IsSuccess)
            {
                Assert.Contains(outcome.Error!.Code, new[] { GatewayErrorCode.RuntimeFailed, GatewayErrorCode.Throttled, GatewayErrorCode.AllBusy });
            }
        }

        var metrics = harness.Metrics();
        Assert.Equal(Requests, metrics.Requests);
        Assert.Equal(Requests, metrics.Succeeded + metrics.ApplicationErrors + metrics.Failed);
        Assert.Equal(0, metrics.InFlight);
        Assert.Equal(0, metrics.QueueLength);
        Assert.All(metrics.Functions, f => Assert.Equal(0, f.InFlight));
        Assert.All(metrics.Models, m => Assert.Equal((0, 0), (m.InFlight, m.Queued)));
        Assert.Equal(Requests, metrics.Models.Sum(m => m.Requests));
        Assert.True(metrics.Functions.Count <= 5);
        if (policy != PolicyNames.Reference)
        {
            Assert.DoesNotContain(outcomes, o => o.Error?.Code == GatewayErrorCode.AllBusy);
        }
    }

    /// <summary>A small seeded generator (SplitMix64), so a failing order can be replayed.</summary>
    private sealed class SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public int Next(int bound)
        {
            _state += 0x9E3779B97F4A7C15;
            var z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            z ^= z >> 31;
            return (int)(z % (ulong)bound);
        }
    }
}
