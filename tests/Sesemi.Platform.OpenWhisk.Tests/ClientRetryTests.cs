using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.OpenWhisk.Tests;

/// <summary>429s: exponential backoff with seeded jitter, Retry-After, and the retry budget.</summary>
public sealed class ClientRetryTests
{
    [Fact]
    public async Task Throttled_Twice_ThenSucceeds_AfterBackingOff()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(
            Scripted.File(429, "error-429.json"),
            Scripted.File(429, "error-429.json"),
            Scripted.File(200, "activation-warm.json"));

        var invocation = await client.InvokeAsync();

        Assert.Equal(InvocationStatus.Success, invocation.Status);
        var requests = client.Server.Requests;
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal(("POST", "/api/v1/namespaces/_/actions/fn-1?blocking=true&result=false", "{}"), (r.Method, r.Target, r.Body)));
        // Equal jitter: at least half of 200 ms, then half of 400 ms, on the fake clock.
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromMilliseconds(100));
        Assert.True(requests[2].At - requests[1].At >= TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Throttled_BeyondTheBudget_IsThrottled_WithOpenWhisksMessage()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Fallback = Scripted.File(429, "error-429.json");

        var invocation = await client.InvokeAsync();

        Assert.Equal(InvocationStatus.Rejected, invocation.Status);
        Assert.Equal(
            new PlatformError(PlatformErrorCode.Throttled, "Too many requests in the last minute (count: 61, allowed: 60).", "d41d8cd98f00b204e9800998ecf8427e"),
            invocation.Error);
        Assert.Equal(1 + 3, client.Server.Requests.Count);
    }

    [Fact]
    public async Task Throttled_WithZeroRetries_FailsAtOnce()
    {
        await using var client = await ClientHarness.StartAsync(options => options.MaxThrottleRetries = 0);
        client.Server.Fallback = Scripted.File(429, "error-429.json");

        var result = await client.RunAsync(() => client.Platform.GetAsync("fn-1", TestContext.Current.CancellationToken));

        Assert.Equal(PlatformErrorCode.Throttled, result.Error!.Code);
        Assert.Single(client.Server.Requests);
    }

    [Fact]
    public async Task Throttled_WithRetryAfter_WaitsThatLong()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(
            Scripted.File(429, "error-429.json", new Dictionary<string, string> { ["Retry-After"] = "3" }),
            Scripted.File(200, "action-stored.json"));

        var result = await client.RunAsync(() => client.Platform.GetAsync("fn-1", TestContext.Current.CancellationToken));

        Assert.True(result.IsSuccess);
        var requests = client.Server.Requests;
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Throttled_WithRetryAfterBeyondTheLongestBackoff_GivesUpAtOnce()
    {
        await using var client = await ClientHarness.StartAsync();
        client.Server.Then(Scripted.File(429, "error-429.json", new Dictionary<string, string> { ["Retry-After"] = "120" }));

        var result = await client.RunAsync(() => client.Platform.GetAsync("fn-1", TestContext.Current.CancellationToken));

        Assert.Equal(PlatformErrorCode.Throttled, result.Error!.Code);
        Assert.Single(client.Server.Requests);
    }

    [Fact]
    public void Backoff_IsExponential_WithEqualJitter_Capped_AndDeterministicPerSeed()
    {
        var options = new OpenWhiskOptions { ApiHost = new Uri("http://127.0.0.1:1/"), Auth = ClientHarness.Key };
        TimeSpan[] Delays(ulong seed)
        {
            using var http = new HttpClient();
            var transport = new OpenWhiskTransport(http, options, new FakeTimeProvider(), new Jitter(seed), NullLogger.Instance);
            return [.. Enumerable.Range(0, 8).Select(transport.Backoff)];
        }

        var first = Delays(7);

        Assert.Equal(first, Delays(7));
        Assert.NotEqual(first, Delays(8));
        for (var attempt = 0; attempt < first.Length; attempt++)
        {
            var step = Math.Min(200 * Math.Pow(2, attempt), 5000);
            Assert.InRange(first[attempt].TotalMilliseconds, step / 2, step);
        }
    }

    [Fact]
    public void Jitter_IsUniformEnough_InZeroToOne()
    {
        var jitter = new Jitter(123);
        var values = Enumerable.Range(0, 10_000).Select(_ => jitter.NextDouble()).ToArray();

        Assert.All(values, v => Assert.InRange(v, 0.0, 0.9999999999));
        Assert.InRange(values.Average(), 0.45, 0.55);
    }
}
