using Sesemi.Security.Identities;

namespace Sesemi.Security.Envelopes;

/// <summary>
/// The envelope contexts of inference, defined once for the runtime's trusted core and for clients: a sealed model is
/// bound to its model id, and inputs and outputs to (user, model, request id) and to their direction.
/// </summary>
public static class InferenceContexts
{
    /// <summary><c>model{model}</c>: a model sealed by its owner (stream envelope).</summary>
    public static EnvelopeContext Model(ModelId model) =>
        EnvelopeContext.For(EnvelopePurposes.Model).With(EnvelopePurposes.ModelIdField, model.Value);

    /// <summary><c>request{user, model, request}</c>: the input tensors a user seals under a request key.</summary>
    public static EnvelopeContext Request(PrincipalId user, ModelId model, string requestId) =>
        EnvelopeContext.For(EnvelopePurposes.Request).With(EnvelopePurposes.UserIdField, user.Value).With(EnvelopePurposes.ModelIdField, model.Value).With(EnvelopePurposes.RequestIdField, requestId);

    /// <summary><c>response{user, model, request}</c>: the output tensors the runtime seals back under the same key.</summary>
    public static EnvelopeContext Response(PrincipalId user, ModelId model, string requestId) =>
        EnvelopeContext.For(EnvelopePurposes.Response).With(EnvelopePurposes.UserIdField, user.Value).With(EnvelopePurposes.ModelIdField, model.Value).With(EnvelopePurposes.RequestIdField, requestId);
}
