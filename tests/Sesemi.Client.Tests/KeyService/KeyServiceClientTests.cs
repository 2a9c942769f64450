using System.Net;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Keys;

namespace Sesemi.Client.Tests.KeyService;

/// <summary>The client's requests and replies, against an in-memory KeyService (TLS is covered by <see cref="KeyServiceTlsTests"/>).</summary>
public sealed class KeyServiceClientTests : IDisposable
{
    private const string Owner = "1111111111111111111111111111111111111111111111111111111111111111";
    private const string User = "2222222222222222222222222222222222222222222222222222222222222222";
    private const string Model = Owner + "/model";
    private const string Measurement = "sim:mrenclave:3333333333333333333333333333333333333333333333333333333333333333";
    private static readonly DateTimeOffset At = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly KeyServiceJsonContext Json = KeyServiceJsonContext.Default;

    private readonly FakeKeyServiceHandler _service = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => _service.Dispose();

    private KeyServiceClient Client() => new(FakeKeyServiceHandler.BaseAddress, _service);

    [Fact]
    public async Task Register_PostsTheDisplayName_AndReturnsThePrincipal()
    {
        _service.OnJson("POST /v1/principals", new PrincipalInfo(Owner, "alice", At, Created: true), Json.PrincipalInfo, HttpStatusCode.Created);
        using var client = Client();

        var principal = await client.RegisterAsync("alice", Token);

        Assert.Equal(Owner, principal.PrincipalId);
        var request = Assert.Single(_service.Requests);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal("alice", request.BodyAs(Json.RegisterPrincipalRequest).DisplayName);
    }

    [Fact]
    public async Task EveryRoute_IsCalledWithItsMethodPathAndBody()
    {
        using var key = SymmetricKey.Generate();
        var keyVersion = new KeyVersionInfo(1, "kid", At, null, true);
        var grant = new GrantInfo(Model, User, Measurement, At, true);
        var requestKey = new RequestKeyInfo(Model, Measurement, 1, "kid", At, null, true);
        _service
            .OnJson("GET /v1/info", new ServiceInfo("sesemi-keyservice", "v1", Measurement, true, 300), Json.ServiceInfo)
            .OnJson("GET /v1/principals/me", new PrincipalInfo(Owner, null, At, false), Json.PrincipalInfo)
            .OnJson("POST /v1/models", new ModelInfo(Model, Owner, "model", At, true), Json.ModelInfo)
            .OnJson("GET /v1/models", new ModelList([]), Json.ModelList)
            .OnJson("POST /v1/model-keys", keyVersion, Json.KeyVersionInfo)
            .OnJson("POST /v1/model-keys/retire", keyVersion, Json.KeyVersionInfo)
            .OnJson($"GET /v1/model-keys?model={Owner}%2Fmodel", new ModelKeyList(Model, [keyVersion]), Json.ModelKeyList)
            .OnJson("POST /v1/grants", grant, Json.GrantInfo)
            .OnJson("POST /v1/grants/revoke", grant, Json.GrantInfo)
            .OnJson($"GET /v1/grants?model={Owner}%2Fmodel", new GrantList(Model, [grant]), Json.GrantList)
            .OnJson("POST /v1/request-keys", requestKey, Json.RequestKeyInfo)
            .OnJson("POST /v1/request-keys/retire", requestKey, Json.RequestKeyInfo)
            .OnJson("GET /v1/request-keys", new RequestKeyList([requestKey]), Json.RequestKeyList)
            .OnJson($"GET /v1/audit?model={Owner}%2Fmodel&after=5&limit=10", new AuditPage([], null), Json.AuditPage);
        using var client = Client();

        Assert.Equal("v1", (await client.GetInfoAsync(Token)).ApiVersion);
        Assert.Equal(Owner, (await client.GetMeAsync(Token)).PrincipalId);
        Assert.Equal(Model, (await client.RegisterModelAsync("model", Token)).ModelId);
        Assert.Empty((await client.ListModelsAsync(Token)).Models);
        Assert.Equal(1, (await client.AddModelKeyAsync(Model, 1, key, Token)).Version);
        Assert.Equal(1, (await client.RetireModelKeyAsync(Model, 1, Token)).Version);
        Assert.Single((await client.ListModelKeysAsync(Model, Token)).Versions);
        Assert.True((await client.GrantAsync(Model, User, Measurement, Token)).Changed);
        Assert.True((await client.RevokeAsync(Model, User, Measurement, Token)).Changed);
        Assert.Single((await client.ListGrantsAsync(Model, Token)).Grants);
        Assert.True((await client.AddRequestKeyAsync(Model, Measurement, 1, key, Token)).Created);
        Assert.True((await client.RetireRequestKeyAsync(Model, Measurement, 1, Token)).Created);
        Assert.Single((await client.ListRequestKeysAsync(Token)).Keys);
        Assert.Empty((await client.ReadAuditAsync(Model, 5, 10, Token)).Entries);

        Assert.Equal(new GrantRequest(Model, User, Measurement), _service.Requests[7].BodyAs(Json.GrantRequest));
        Assert.Equal(new RetireModelKeyRequest(Model, 1), _service.Requests[5].BodyAs(Json.RetireModelKeyRequest));
        Assert.Equal(new RetireRequestKeyRequest(Model, Measurement, 1), _service.Requests[11].BodyAs(Json.RetireRequestKeyRequest));
        Assert.All(_service.Requests.Where(r => r.Method == "GET"), r => Assert.Null(r.Body));
    }

    [Fact]
    public async Task AddModelKey_SendsTheKeyAsBase64_FromBytesOrASymmetricKey()
    {
        var material = Enumerable.Range(1, SymmetricKey.SizeInBytes).Select(i => (byte)i).ToArray();
        using var key = SymmetricKey.Import(material);
        _service.OnJson("POST /v1/model-keys", new KeyVersionInfo(2, key.Id.ToString(), At, null, true), Json.KeyVersionInfo);
        _service.OnJson("POST /v1/request-keys", new RequestKeyInfo(Model, Measurement, 3, key.Id.ToString(), At, null, true), Json.RequestKeyInfo);
        using var client = Client();

        await client.AddModelKeyAsync(Model, 2, material, Token);
        await client.AddModelKeyAsync(Model, 2, key, Token);
        await client.AddRequestKeyAsync(Model, Measurement, 3, material, Token);

        var expected = new AddModelKeyRequest(Model, 2, Convert.ToBase64String(material));
        Assert.Equal(expected, _service.Requests[0].BodyAs(Json.AddModelKeyRequest));
        Assert.Equal(expected, _service.Requests[1].BodyAs(Json.AddModelKeyRequest));
        Assert.Equal(new AddRequestKeyRequest(Model, Measurement, 3, Convert.ToBase64String(material)), _service.Requests[2].BodyAs(Json.AddRequestKeyRequest));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(33)]
    public async Task AddModelKey_KeyOfTheWrongSize_IsRefusedBeforeSending(int size)
    {
        using var client = Client();

        await Assert.ThrowsAsync<ArgumentException>(() => client.AddModelKeyAsync(Model, 1, new byte[size], Token));

        Assert.Empty(_service.Requests);
    }

    [Fact]
    public async Task ErrorReply_IsThrownWithItsCode()
    {
        _service.OnError("POST /v1/grants", HttpStatusCode.NotFound, KeyServiceErrors.UnknownUser, "no such user");
        using var client = Client();

        var error = await Assert.ThrowsAsync<KeyServiceException>(() => client.GrantAsync(Model, User, Measurement, Token));

        Assert.Equal(KeyServiceErrors.UnknownUser, error.Code);
        Assert.Equal(HttpStatusCode.NotFound, error.Status);
    }

    [Fact]
    public async Task ReadAllAudit_FollowsNextAfter_UntilTheLastPage()
    {
        var chain = AuditVerificationTests.Chain(5);
        var encoded = Uri.EscapeDataString(Model);
        _service
            .OnJson($"GET /v1/audit?model={encoded}&after=0&limit={KeyServiceClient.AuditPageSize}", new AuditPage(chain[..2], 2), Json.AuditPage)
            .OnJson($"GET /v1/audit?model={encoded}&after=2&limit={KeyServiceClient.AuditPageSize}", new AuditPage(chain[2..4], 4), Json.AuditPage)
            .OnJson($"GET /v1/audit?model={encoded}&after=4&limit={KeyServiceClient.AuditPageSize}", new AuditPage(chain[4..], null), Json.AuditPage);
        using var client = Client();

        var entries = new List<AuditEntry>();
        await foreach (var entry in client.ReadAllAuditAsync(Model, Token))
        {
            entries.Add(entry);
        }

        Assert.Equal([1L, 2, 3, 4, 5], entries.Select(e => e.Sequence));
        Assert.Equal(3, _service.Requests.Count);
        Assert.Null(KeyServiceClient.VerifyAuditEntries(entries));
    }

    [Fact]
    public async Task ReadAllAudit_PageThatDoesNotAdvance_IsABadResponse_NotALoop()
    {
        _service.OnJson($"GET /v1/audit?model={Uri.EscapeDataString(Model)}&after=0&limit={KeyServiceClient.AuditPageSize}", new AuditPage([], 0), Json.AuditPage);
        using var client = Client();

        var error = await Assert.ThrowsAsync<KeyServiceException>(async () =>
        {
            await foreach (var _ in client.ReadAllAuditAsync(Model, Token))
            {
            }
        });

        Assert.Equal(KeyServiceClientErrors.BadResponse, error.Code);
    }

    [Fact]
    public async Task QueryValues_AreEscaped()
    {
        using var client = Client();

        await Assert.ThrowsAsync<KeyServiceException>(() => client.ListGrantsAsync("a&b=c d", Token));

        Assert.Equal("/v1/grants?model=a%26b%3Dc%20d", Assert.Single(_service.Requests).PathAndQuery);
    }

    [Fact]
    public async Task Cancellation_IsNotTurnedIntoAKeyServiceError()
    {
        _service.On("GET /v1/info", _ => throw new OperationCanceledException());
        using var client = Client();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetInfoAsync(cancelled.Token));
    }
}
