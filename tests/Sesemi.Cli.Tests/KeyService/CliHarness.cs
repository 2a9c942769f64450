using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Sesemi.Cli.KeyService;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;

namespace Sesemi.Cli.Tests.KeyService;

/// <summary>The KeyService commands under a root command, with a fake environment and (optionally) an in-memory KeyService, run with captured output.</summary>
internal sealed class CliHarness : IDisposable
{
    private readonly RootCommand _root = new("test");

    public CliHarness(Dictionary<string, string>? environment = null, bool useFakeService = true)
    {
        var variables = environment ?? [];
        var services = new KeyServiceCliServices
        {
            GetEnvironmentVariable = name => variables.TryGetValue(name, out var value) ? value : null,
        };
        if (useFakeService)
        {
            services = new KeyServiceCliServices
            {
                GetEnvironmentVariable = services.GetEnvironmentVariable,
                OpenClient = (settings, _) =>
                {
                    Settings.Add(settings);
                    return new KeyServiceSession(new KeyServiceClient(FakeKeyService.BaseAddress, Service));
                },
            };
        }

        KeyServiceCommands.AddTo(_root, services);
    }

    public RootCommand Root => _root;

    public FakeKeyService Service { get; } = new();

    /// <summary>The settings each command connected with.</summary>
    public List<ConnectionSettings> Settings { get; } = [];

    public ParseResult Parse(string commandLine) => _root.Parse(commandLine);

    public async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await _root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestContext.Current.CancellationToken);
        return (exitCode, output.ToString(), error.ToString());
    }

    public void Dispose() => Service.Dispose();
}

/// <summary>An in-memory KeyService: canned replies per "METHOD /path?query", and the requests it was sent.</summary>
internal sealed class FakeKeyService : HttpMessageHandler
{
    private readonly Dictionary<string, Func<HttpResponseMessage>> _routes = new(StringComparer.Ordinal);

    public static Uri BaseAddress { get; } = new("https://keyservice.test:8443/");

    public List<(string Route, byte[]? Body)> Requests { get; } = [];

    public FakeKeyService OnJson<T>(string route, T value, JsonTypeInfo<T> type, HttpStatusCode status = HttpStatusCode.OK)
    {
        _routes[route] = () => new HttpResponseMessage(status)
        {
            Content = new StringContent(JsonSerializer.Serialize(value, type), Encoding.UTF8, "application/json"),
        };
        return this;
    }

    public FakeKeyService OnError(string route, HttpStatusCode status, string code, string message) =>
        OnJson(route, new ErrorResponse(new ErrorDetail(code, message)), KeyServiceJsonContext.Default.ErrorResponse, status);

    public T BodyOf<T>(int index, JsonTypeInfo<T> type) => JsonSerializer.Deserialize(Requests[index].Body, type)!;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var route = $"{request.Method.Method} {request.RequestUri!.PathAndQuery}";
        Requests.Add((route, request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken)));
        return _routes.TryGetValue(route, out var reply)
            ? reply()
            : new HttpResponseMessage(HttpStatusCode.NotFound)
            {
                Content = new StringContent(
                    JsonSerializer.Serialize(new ErrorResponse(new ErrorDetail(KeyServiceErrors.UnknownRoute, route)), KeyServiceJsonContext.Default.ErrorResponse),
                    Encoding.UTF8,
                    "application/json"),
            };
    }
}
