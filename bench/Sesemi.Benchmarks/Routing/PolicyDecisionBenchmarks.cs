using System.Globalization;
using BenchmarkDotNet.Attributes;
using Sesemi.Gateway.Routing;

namespace Sesemi.Benchmarks.Routing;

/// <summary>
/// One routing decision (<c>IRoutingPolicy.Decide</c>, internal to the gateway), the work FnPacker does under a group's
/// lock for each request, per policy on pools of 8, 32 and 100 functions. The state is a loaded pool: every function
/// deployed, all but the last with 1–3 of their 4 slots in flight; four models warm on each function (<c>sesemi</c>,
/// <c>reference</c>) or one model per function (<c>dedicated</c>). The requests rotate over those models, none of them in
/// flight, and a decision changes nothing, so it can be repeated: <c>sesemi</c> scans every function and picks the
/// least loaded one where the model is warm; <c>reference</c> scans first-fit up to the last function, the only idle
/// one; <c>dedicated</c> looks the model's own function up (its scan, replacing the least recently used function of a
/// full pool, deploys a function and is not repeatable).
/// </summary>
[MemoryDiagnoser]
public class PolicyDecisionBenchmarks
{
    private IRoutingPolicy _policy = null!;
    private GroupState _group = null!;
    private ModelState[] _models = [];
    private long _now;
    private int _next;

    [Params(8, 32, 100)]
    public int Functions { get; set; }

    [Params(PolicyNames.Sesemi, PolicyNames.Reference, PolicyNames.Dedicated)]
    public string Policy { get; set; } = PolicyNames.Sesemi;

    [GlobalSetup]
    public void Setup()
    {
        var settings = new RoutingSettings(new FnPackerOptions());
        var spec = new GroupSpec { Name = "bench", Image = "sesemi/runtime:bench", PoolSize = Functions, Concurrency = 4, Policy = Policy };
        _policy = RoutingPolicies.Create(Policy, settings).Value;
        _group = new GroupState(spec, settings);
        _now = TimeSpan.FromHours(1).Ticks;
        var dedicated = Policy == PolicyNames.Dedicated;
        var modelsPerFunction = dedicated ? 1 : settings.ModelsPerFunction;
        var models = new List<ModelState>();
        for (var i = 0; i < Functions; i++)
        {
            var first = Model(i, 0);
            var function = dedicated
                ? _group.AddNamedFunction(_group.DedicatedName(first), spec.Concurrency * settings.DedicatedInstancesPerFunction, first, _now)!
                : _group.AddPoolFunction(null, _now)!;
            if (dedicated)
            {
                first.Dedicated = function;
            }

            function.Status = FunctionStatus.Ready;
            function.DeployStarted = true;
            function.InFlight = i == Functions - 1 ? 0 : 1 + (i % 3);
            for (var j = 0; j < modelsPerFunction; j++)
            {
                var model = Model(i, j);
                _group.TouchWarm(function, model, _now);
                models.Add(model);
            }
        }

        _group.PendingDeploys.Clear();
        _models = [.. models];
        foreach (var model in _models)
        {
            var decision = _policy.Decide(_group, model, _now);
            if (decision.Kind != RoutingDecisionKind.Dispatch || _group.PendingDeploys.Count > 0 || _group.OwnedCount != (dedicated ? Functions : 0))
            {
                throw new InvalidOperationException($"The {Policy} policy did not dispatch {model.Id} without changing the pool: {decision}.");
            }
        }
    }

    /// <summary>Decides for the next model; returns the chosen function's name.</summary>
    [Benchmark]
    public string? Decide()
    {
        var model = _models[_next];
        _next = (_next + 1) % _models.Length;
        return _policy.Decide(_group, model, _now).Function?.Name;
    }

    private ModelState Model(int function, int index) =>
        _group.GetOrAddModel(string.Create(CultureInfo.InvariantCulture, $"owner/model-{function}-{index}"))!;
}
