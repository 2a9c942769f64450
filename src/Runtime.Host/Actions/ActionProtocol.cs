namespace Sesemi.Runtime.Host.Actions;

/// <summary>Constants of the OpenWhisk action runtime protocol (serverless-platforms.md §1), exact as the platform and its proxies use them.</summary>
public static class ActionProtocol
{
    public const string InitRoute = "/init";
    public const string RunRoute = "/run";

    /// <summary>The port the invoker calls (§1.1).</summary>
    public const int DefaultPort = 8080;

    /// <summary>OpenWhisk's default <c>whisk.activation.payload.max</c>: 1 MiB of parameters (§1.3).</summary>
    public const int DefaultPayloadLimitBytes = 1024 * 1024;

    /// <summary>The line written to stdout and to stderr after each <c>/run</c> (§1.3 "Log framing").</summary>
    public const string ActivationSentinel = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX";

    /// <summary>The <c>error</c> of a second <c>/init</c> (§1.2, §1.7 test 4).</summary>
    public const string InitializedTwiceMessage = "Cannot initialize the action more than once.";

    /// <summary>The <c>error</c> when the action's result is not a JSON object or array (§1.3, §1.7 test 3).</summary>
    public const string ResultNotObjectMessage = "The action did not return a dictionary or array.";

    /// <summary>The <c>error</c> (404) when the <c>/run</c> body or its <c>value</c> is not a JSON object or array (§1.3, §1.7 dockerskeleton).</summary>
    public const string ArgumentNotObjectMessage = "The action did not receive a dictionary or array as an argument.";
}

/// <summary>
/// Stable codes of the runtime's own errors. The reply body is <c>{"error":"&lt;code&gt;: &lt;reason&gt;"}</c>; the code
/// is everything before the first colon, and the reason never echoes request data.
/// </summary>
public static class ActionRuntimeErrors
{
    /// <summary>400: the body is not valid JSON, nests too deep, or repeats a property.</summary>
    public const string MalformedJson = "runtime.malformed_json";

    /// <summary>400: a field has the wrong type (<c>env</c> not an object, an activation field not a string, a bad <c>deadline</c>).</summary>
    public const string BadRequest = "runtime.bad_request";

    /// <summary>404: the <c>/init</c> body or its <c>value</c> is not a JSON object (the reference proxy's status).</summary>
    public const string NotAnObject = "runtime.not_an_object";

    /// <summary>413: the body is larger than <see cref="ActionServerOptions.MaxRequestBytes"/>.</summary>
    public const string TooLarge = "runtime.too_large";

    /// <summary>429: <see cref="ActionServerOptions.MaxConcurrentActivations"/> activations are already running.</summary>
    public const string Busy = "runtime.busy";

    /// <summary>502: the handler was cancelled by the activation's deadline.</summary>
    public const string DeadlineExceeded = "runtime.deadline_exceeded";

    /// <summary>502 (handler failure) or 500 (runtime failure): details are only in the log.</summary>
    public const string Internal = "runtime.internal";

    /// <summary>404: a route other than <c>POST /init</c> and <c>POST /run</c>.</summary>
    public const string UnknownRoute = "runtime.unknown_route";

    /// <summary>405: <c>/init</c> or <c>/run</c> with a method other than POST.</summary>
    public const string MethodNotAllowed = "runtime.method_not_allowed";
}
