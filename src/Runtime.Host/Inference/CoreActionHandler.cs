using System.Text.Json;
using Sesemi.Contracts.Runtime;
using Sesemi.Runtime.Host.Actions;
using Sesemi.Runtime.Host.Enclave;
using Sesemi.Runtime.Trusted;
using Sesemi.Runtime.Trusted.Requests;

namespace Sesemi.Runtime.Host.Inference;

/// <summary>
/// The OpenWhisk <c>/run</c> of Sesemi: reads an <see cref="InferenceRequestBody"/>, checks that the KeyService it
/// names is on the operator's allow-list, hands the sealed input to the trusted core and returns the sealed output
/// with its timing. Every failure is an application error <c>{"error": {"code", "message"}}</c>; nothing here sees
/// plaintext.
/// </summary>
public sealed class CoreActionHandler(TrustedCore core, EnclaveHost host, int maxInputBytes) : IActionHandler
{
    public const string MalformedRequest = "request.malformed";
    public const string KeyServiceNotAllowed = "request.keyservice_not_allowed";

    private static readonly RuntimeJsonContext Json = RuntimeJsonContext.Default;

    public async Task<ActionResult> RunAsync(JsonElement value, ActivationContext activation, CancellationToken cancellationToken)
    {
        InferenceRequestBody? request;
        try
        {
            request = value.Deserialize(Json.InferenceRequestBody);
        }
        catch (JsonException)
        {
            return Error(MalformedRequest, "the value must be {user, model, requestId, keyService, input} with strings only", null);
        }

        if (request is null)
        {
            return Error(MalformedRequest, "the value must be an object", null);
        }

        if (!Uri.TryCreate(request.KeyService, UriKind.Absolute, out var keyService) || keyService.Scheme != Uri.UriSchemeHttps || !host.IsAllowed(keyService))
        {
            return Error(KeyServiceNotAllowed, "keyService must be one of the https KeyServices this runtime's operator allowed", null);
        }

        if (request.Input.Length > (maxInputBytes / 3 * 4) + 4)
        {
            return Error(InferenceErrors.TooLarge, $"the sealed input is larger than {maxInputBytes} bytes", null);
        }

        var input = new byte[(request.Input.Length / 4 * 3) + 3];
        if (!Convert.TryFromBase64String(request.Input, input, out var length))
        {
            return Error(MalformedRequest, "input must be base64", null);
        }

        var outcome = await core.InferAsync(new InferenceRequest(request.User, request.Model, request.RequestId, keyService, input.AsMemory(0, length)), cancellationToken);
        var timing = ToBody(outcome.Timing);
        if (!outcome.IsSuccess)
        {
            return Error(outcome.Error!, outcome.Message ?? outcome.Error!, timing);
        }

        var body = new InferenceResponseBody(request.RequestId, Convert.ToBase64String(outcome.SealedOutput!), timing);
        return ActionResult.Success(JsonSerializer.SerializeToElement(body, Json.InferenceResponseBody));
    }

    private static ActionResult Error(string code, string message, InferenceTimingBody? timing) =>
        ActionResult.ApplicationError(JsonSerializer.SerializeToElement(new Contracts.Runtime.InferenceError(code, message, timing), Json.InferenceError));

    private static InferenceTimingBody ToBody(InferenceTiming t) =>
        new(t.ColdKeys, t.ColdModel, t.KeysMs, t.ModelFetchMs, t.ModelDecryptMs, t.SessionCreateMs, t.InputDecryptMs, t.InferenceMs, t.OutputEncryptMs, t.TotalMs);
}
