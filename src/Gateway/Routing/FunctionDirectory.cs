using System.Collections.Concurrent;

namespace Sesemi.Gateway.Routing;

/// <summary>Which group owns each platform function, for routing instance events.</summary>
internal sealed class FunctionDirectory
{
    private readonly ConcurrentDictionary<string, GroupRouter> _owners = new(StringComparer.Ordinal);

    public void Register(string function, GroupRouter router) => _owners[function] = router;

    public void Unregister(string function, GroupRouter router) =>
        _owners.TryRemove(new KeyValuePair<string, GroupRouter>(function, router));

    public GroupRouter? Find(string function) => _owners.TryGetValue(function, out var router) ? router : null;
}
