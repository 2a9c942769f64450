using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.OpenWhisk;

/// <summary>One answer of the controller: its status, body and <c>Retry-After</c>; or why none came (<see cref="Failure"/>).</summary>
internal sealed record HttpReply(int Status, byte[] Body, TimeSpan? RetryAfter, string? ActivationIdHeader, PlatformError? Failure = null)
{
    public static HttpReply Failed(PlatformError failure) => new(0, [], null, null, failure);
}

/// <summary>
/// Sends requests to the controller: the Basic auth header, a per-request timeout and every wait through the injected
/// <see cref="TimeProvider"/>, and 429s retried with exponential backoff and jitter (or <c>Retry-After</c>) up to
/// <see cref="OpenWhiskOptions.MaxThrottleRetries"/>. A request that gets no answer becomes a
/// <see cref="PlatformErrorCode.Unavailable"/> failure; a cancelled call throws.
/// </summary>
internal sealed class OpenWhiskTransport(HttpClient http, OpenWhiskOptions options, TimeProvider time, Jitter jitter, ILogger logger)
{
    /// <summary>The largest answer read (results of big models; OpenWhisk's own limit is 1 MB by default).</summary>
    public const int MaxResponseBytes = 64 * 1024 * 1024;

    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    private readonly Uri _base = WithTrailingSlash(options.ApiHost!);
    private readonly AuthenticationHeaderValue _auth = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(options.Auth)));

    /// <summary>Sends one request, retrying 429s. <paramref name="relative"/> is already escaped (it starts with <c>api/v1/</c>).</summary>
    public async Task<HttpReply> SendAsync(string operation, HttpMethod method, string relative, ReadOnlyMemory<byte>? body, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var reply = await SendOnceAsync(operation, method, relative, body, cancellationToken);
            if (reply.Status != 429)
            {
                return reply;
            }

            if (attempt >= options.MaxThrottleRetries || reply.RetryAfter > options.MaxBackoff)
            {
                OpenWhiskLog.ThrottleGaveUp(logger, operation, attempt + 1);
                return reply;
            }

            var delay = reply.RetryAfter is { } asked && asked > TimeSpan.Zero ? asked : Backoff(attempt);
            OpenWhiskLog.Throttled(logger, operation, attempt + 1, options.MaxThrottleRetries, (long)delay.TotalMilliseconds);
            await Task.Delay(delay, time, cancellationToken);
        }
    }

    /// <summary>Exponential backoff with "equal jitter": half the step fixed, half random, capped at the maximum.</summary>
    internal TimeSpan Backoff(int attempt)
    {
        var step = options.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        var capped = Math.Min(step, options.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.5 + (0.5 * jitter.NextDouble())));
    }

    private async Task<HttpReply> SendOnceAsync(string operation, HttpMethod method, string relative, ReadOnlyMemory<byte>? body, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.RequestTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(method, new Uri(_base, relative))
        {
            Version = System.Net.HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        request.Headers.Authorization = _auth;
        request.Headers.Accept.Add(AcceptJson);
        if (body is { } content)
        {
            request.Content = new ReadOnlyMemoryContent(content);
            request.Content.Headers.ContentType = JsonType;
        }

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var bytes = await ReadAsync(response.Content, linked.Token);
            if (bytes is null)
            {
                return Fail(operation, PlatformErrorCode.Internal, $"OpenWhisk answered {operation} with more than {MaxResponseBytes} bytes.");
            }

            var status = (int)response.StatusCode;
            OpenWhiskLog.Answered(logger, operation, status);
            var activationId = response.Headers.TryGetValues("x-openwhisk-activation-id", out var ids) ? ids.FirstOrDefault() : null;
            return new HttpReply(status, bytes, RetryAfter(response.Headers.RetryAfter), activationId);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Fail(operation, PlatformErrorCode.Unavailable, $"OpenWhisk did not answer {operation} within {options.RequestTimeout.TotalSeconds:0.###} s.");
        }
        catch (HttpRequestException e)
        {
            return Fail(operation, PlatformErrorCode.Unavailable, $"OpenWhisk could not be reached for {operation} ({e.HttpRequestError}).");
        }
        catch (IOException)
        {
            return Fail(operation, PlatformErrorCode.Unavailable, $"The connection to OpenWhisk broke during {operation}.");
        }
    }

    private HttpReply Fail(string operation, PlatformErrorCode code, string message)
    {
        OpenWhiskLog.Unreachable(logger, operation, message);
        return HttpReply.Failed(new PlatformError(code, message));
    }

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - time.GetUtcNow() is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero,
        _ => null,
    };

    private static async Task<byte[]?> ReadAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxResponseBytes)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxResponseBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static Uri WithTrailingSlash(Uri uri) =>
        uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri.GetLeftPart(UriPartial.Path) + "/");
}
