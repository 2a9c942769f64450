using System.Text.Json;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Gateway.Routing;

/// <summary>
/// Maps what the platform answered to how the request ended: the runtime's answers (a result or its own application
/// error) pass through unchanged; everything else becomes a gateway error with a clear code and the platform's message.
/// </summary>
internal static class InvocationMapper
{
    /// <summary>Maps the platform's answer to the outcome: the runtime's answers pass through, failures get a gateway code.</summary>
    public static (CompletionKind Kind, GatewayError? Error) Classify(Invocation invocation, TimeSpan timeout, long elapsed)
    {
        switch (invocation.Status)
        {
            case InvocationStatus.Success:
                return (CompletionKind.Succeeded, null);
            case InvocationStatus.ApplicationError:
                return (CompletionKind.ApplicationError, null);
            case InvocationStatus.DeveloperError:
                var message = ErrorMessage(invocation.Result.Span) ?? "The runtime failed.";
                var timedOut = (invocation.Duration ?? TimeSpan.FromTicks(elapsed)) >= timeout
                    || message.Contains("time limit", StringComparison.OrdinalIgnoreCase);
                return timedOut
                    ? (CompletionKind.Failed, new GatewayError(GatewayErrorCode.RuntimeTimeout, $"The runtime did not answer within the function's timeout: {message}"))
                    : (CompletionKind.Failed, new GatewayError(GatewayErrorCode.RuntimeFailed, $"The runtime failed: {message}"));
            default:
                var platformError = invocation.Error ?? new PlatformError(PlatformErrorCode.Internal, "The platform refused the invocation.");
                var code = platformError.Code switch
                {
                    PlatformErrorCode.Throttled => GatewayErrorCode.Throttled,
                    PlatformErrorCode.BadRequest or PlatformErrorCode.PayloadTooLarge => GatewayErrorCode.InvalidRequest,
                    _ => GatewayErrorCode.PlatformUnavailable,
                };
                return (CompletionKind.Failed, new GatewayError(code, $"The platform refused the invocation: {platformError}"));
        }
    }

    /// <summary>The <c>"error"</c> string of a developer error's <c>{"error": "…"}</c> (at most 300 characters).</summary>
    private static string? ErrorMessage(ReadOnlySpan<byte> result)
    {
        try
        {
            var reader = new Utf8JsonReader(result);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isError = reader.ValueTextEquals("error"u8);
                reader.Read();
                if (isError && reader.TokenType == JsonTokenType.String)
                {
                    var text = reader.GetString()!;
                    return text.Length <= 300 ? text : text[..300];
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }
}
