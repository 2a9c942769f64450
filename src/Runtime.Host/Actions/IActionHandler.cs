using System.Text.Json;

namespace Sesemi.Runtime.Host.Actions;

/// <summary>
/// Runs one activation: the seam between the OpenWhisk action protocol (<see cref="ActionServer"/>) and what the action
/// does — later the adapter to the runtime's trusted core. Called concurrently, up to
/// <see cref="ActionServerOptions.MaxConcurrentActivations"/> at once, so implementations must be thread-safe and must
/// read per-activation facts from the <see cref="ActivationContext"/> they are given, never from the process environment.
/// </summary>
public interface IActionHandler
{
    /// <summary>Runs the activation whose parameters are <paramref name="value"/>.</summary>
    /// <param name="value">
    /// The <c>value</c> of the <c>/run</c> body: a JSON object or array (<c>{}</c> when the body has none). It belongs to the
    /// request and stays valid until the runtime has written the reply; <see cref="JsonElement.Clone"/> it to keep it longer.
    /// </param>
    /// <param name="activation">The activation fields of the <c>/run</c> body and the <c>/init</c> environment.</param>
    /// <param name="cancellationToken">Cancelled at the activation's deadline and when the invoker disconnects.</param>
    /// <returns>
    /// The reply. An exception is answered 502 <c>{"error":"runtime.internal: …"}</c> without its details; an
    /// <see cref="OperationCanceledException"/> after the deadline 502 <c>{"error":"runtime.deadline_exceeded: …"}</c>.
    /// </returns>
    Task<ActionResult> RunAsync(JsonElement value, ActivationContext activation, CancellationToken cancellationToken);
}
