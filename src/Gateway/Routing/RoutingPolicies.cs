namespace Sesemi.Gateway.Routing;

/// <summary>The policy registry: creates a group's policy by name.</summary>
internal static class RoutingPolicies
{
    /// <summary>A new policy instance for one group, or the error listing the known names.</summary>
    public static GatewayResult<IRoutingPolicy> Create(string? name, RoutingSettings settings) => name switch
    {
        PolicyNames.Reference => GatewayResult<IRoutingPolicy>.Success(new ReferencePolicy()),
        PolicyNames.Dedicated => GatewayResult<IRoutingPolicy>.Success(new DedicatedPolicy(settings)),
        PolicyNames.Sesemi => GatewayResult<IRoutingPolicy>.Success(new SesemiPolicy(settings)),
        _ => GatewayResult<IRoutingPolicy>.Failure(GatewayErrorCode.InvalidGroup, PolicyNames.UnknownMessage(name)),
    };
}
