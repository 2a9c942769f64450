using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sesemi.Contracts.KeyService;
using Sesemi.Security.Audit;
using Sesemi.Security.RaTls;
using Sesemi.TestUtilities;

namespace Sesemi.FunctionalTests.KeyService;

/// <summary>
/// Requests the KeyService must refuse: each answers the documented status and stable code and changes nothing in
/// the store (every table compared before and after). Replays of successful writes answer the existing record and
/// change nothing either. Each case runs on its own KeyService with the usual <see cref="Scenario"/>.
/// </summary>
public sealed class BadInputTests
{
    private const string Json = "application/json";

    private static readonly KeyServiceJsonContext Contracts = KeyServiceJsonContext.Default;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>
    /// (case, caller, route, body, content type, status, code). Callers: the model's owner, the granted user, or a
    /// runtime running the granted measurement. Placeholders: {model}, {owner}, {user}, {measurement} and their
    /// upper-case forms, {key} (a fresh valid key), {lease} (an unknown well-formed lease id).
    /// </summary>
    public static TheoryData<string, string, string, string, string?, int, string> MalformedBodies => new()
    {
        // Content type.
        { "text/plain", "owner", "/v1/models", """{"name":"m2"}""", "text/plain", 415, KeyServiceErrors.UnsupportedMediaType },
        { "no content type", "owner", "/v1/models", """{"name":"m2"}""", null, 415, KeyServiceErrors.UnsupportedMediaType },
        { "application/xml", "owner", "/v1/models", """{"name":"m2"}""", "application/xml", 415, KeyServiceErrors.UnsupportedMediaType },
        { "json-patch", "owner", "/v1/models", """{"name":"m2"}""", "application/json-patch+json", 415, KeyServiceErrors.UnsupportedMediaType },
        { "latin1 charset", "owner", "/v1/models", """{"name":"m2"}""", "application/json; charset=latin1", 415, KeyServiceErrors.UnsupportedMediaType },
        { "form", "owner", "/v1/grants", "model={model}&user={user}&measurement={measurement}", "application/x-www-form-urlencoded", 415, KeyServiceErrors.UnsupportedMediaType },

        // Not JSON, or not one object.
        { "truncated", "owner", "/v1/models", """{"name":""", Json, 400, KeyServiceErrors.MalformedJson },
        { "not json", "owner", "/v1/models", "name=m2", Json, 400, KeyServiceErrors.MalformedJson },
        { "empty body", "owner", "/v1/models", "", Json, 400, KeyServiceErrors.MalformedJson },
        { "array", "owner", "/v1/models", """[{"name":"m2"}]""", Json, 400, KeyServiceErrors.MalformedJson },
        { "string", "owner", "/v1/models", "\"m2\"", Json, 400, KeyServiceErrors.MalformedJson },
        { "json null", "owner", "/v1/models", "null", Json, 400, KeyServiceErrors.MalformedJson },
        { "two objects", "owner", "/v1/models", """{"name":"m2"}{"name":"m3"}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "trailing comma", "owner", "/v1/models", """{"name":"m2",}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "comment", "owner", "/v1/models", """{"name":"m2"} // owner""", Json, 400, KeyServiceErrors.MalformedJson },
        { "too deep", "owner", "/v1/models", """{"name":"m2","x":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}""", Json, 400, KeyServiceErrors.MalformedJson },

        // Unknown properties: a body cannot name an owner, a key id, or a runtime's measurement.
        { "owner field", "owner", "/v1/models", """{"name":"m2","owner":"{user}"}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "keyId field", "owner", "/v1/model-keys", """{"model":"{model}","version":2,"key":"{key}","keyId":"00"}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "measurement in release", "runtime", "/v1/releases", """{"user":"{user}","model":"{model}","measurement":"{measurement}"}""", Json, 400, KeyServiceErrors.MalformedJson },

        { "PascalCase property", "owner", "/v1/models", """{"Name":"m2"}""", Json, 400, KeyServiceErrors.MalformedJson },

        // Missing properties.
        { "empty object", "owner", "/v1/models", "{}", Json, 400, KeyServiceErrors.MalformedJson },
        { "no key", "owner", "/v1/model-keys", """{"model":"{model}","version":2}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "no version", "owner", "/v1/model-keys", """{"model":"{model}","key":"{key}"}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "no measurement", "owner", "/v1/grants", """{"model":"{model}","user":"{user}"}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "no model in release", "runtime", "/v1/releases", """{"user":"{user}"}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "no lease", "runtime", "/v1/releases/renew", "{}", Json, 400, KeyServiceErrors.MalformedJson },

        // Wrong types.
        { "version as string", "owner", "/v1/model-keys", """{"model":"{model}","version":"2","key":"{key}"}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "version as fraction", "owner", "/v1/model-keys", """{"model":"{model}","version":2.5,"key":"{key}"}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "version beyond int", "owner", "/v1/model-keys", """{"model":"{model}","version":2147483648,"key":"{key}"}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "version as bool", "owner", "/v1/model-keys/retire", """{"model":"{model}","version":true}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "name as number", "owner", "/v1/models", """{"name":42}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "name as array", "owner", "/v1/models", """{"name":["m2"]}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "key as number", "owner", "/v1/model-keys", """{"model":"{model}","version":2,"key":12345}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "user as object", "owner", "/v1/grants", """{"model":"{model}","user":{"id":"{user}"},"measurement":"{measurement}"}""", Json, 400, KeyServiceErrors.MalformedJson },

        // Null where a value is required.
        { "null name", "owner", "/v1/models", """{"name":null}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "null key", "owner", "/v1/model-keys", """{"model":"{model}","version":2,"key":null}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "null version", "owner", "/v1/model-keys", """{"model":"{model}","version":null,"key":"{key}"}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "null user", "owner", "/v1/grants", """{"model":"{model}","user":null,"measurement":"{measurement}"}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "null lease", "runtime", "/v1/releases/renew", """{"leaseId":null}""", Json, 400, KeyServiceErrors.MalformedJson },

        // Duplicate properties.
        { "duplicate name", "owner", "/v1/models", """{"name":"m2","name":"m3"}""", Json, 400, KeyServiceErrors.MalformedJson },
        { "duplicate user", "owner", "/v1/grants", """{"model":"{model}","user":"{user}","user":"{owner}","measurement":"{measurement}"}""", Json, 400, KeyServiceErrors.MalformedJson },

        // Model names (the KeyService mints the id from the caller and the name).
        { "name ../../etc", "owner", "/v1/models", """{"name":"../../etc"}""", Json, 400, KeyServiceErrors.InvalidModelName },
        { "name SQL", "owner", "/v1/models", """{"name":"x' OR '1'='1"}""", Json, 400, KeyServiceErrors.InvalidModelName },
        { "name a/b/c", "owner", "/v1/models", """{"name":"a/b/c"}""", Json, 400, KeyServiceErrors.InvalidModelName },
        { "name upper-case", "owner", "/v1/models", """{"name":"Model"}""", Json, 400, KeyServiceErrors.InvalidModelName },
        { "name unicode", "owner", "/v1/models", """{"name":"mod\u00e8le"}""", Json, 400, KeyServiceErrors.InvalidModelName },
        { "name empty", "owner", "/v1/models", """{"name":""}""", Json, 400, KeyServiceErrors.InvalidModelName },
        { "name leading dash", "owner", "/v1/models", """{"name":"-m"}""", Json, 400, KeyServiceErrors.InvalidModelName },
        { "name with space", "owner", "/v1/models", """{"name":"m 2"}""", Json, 400, KeyServiceErrors.InvalidModelName },
        { "name with NUL", "owner", "/v1/models", """{"name":"m\u0000"}""", Json, 400, KeyServiceErrors.InvalidModelName },
        { "name 65 chars", "owner", "/v1/models", $$"""{"name":"{{new string('a', 65)}}"}""", Json, 400, KeyServiceErrors.InvalidModelName },

        // Model ids.
        { "model ../../etc", "owner", "/v1/model-keys", """{"model":"../../etc","version":2,"key":"{key}"}""", Json, 400, KeyServiceErrors.InvalidModelId },
        { "model SQL", "owner", "/v1/model-keys", """{"model":"x' OR '1'='1","version":2,"key":"{key}"}""", Json, 400, KeyServiceErrors.InvalidModelId },
        { "model a/b/c", "owner", "/v1/model-keys", """{"model":"a/b/c","version":2,"key":"{key}"}""", Json, 400, KeyServiceErrors.InvalidModelId },
        { "model upper-case owner", "owner", "/v1/model-keys", """{"model":"{OWNER}/model","version":2,"key":"{key}"}""", Json, 400, KeyServiceErrors.InvalidModelId },
        { "model unicode name", "owner", "/v1/model-keys", """{"model":"{owner}/mod\u00e8le","version":2,"key":"{key}"}""", Json, 400, KeyServiceErrors.InvalidModelId },
        { "model owner/../..", "owner", "/v1/model-keys", """{"model":"{owner}/../../etc","version":2,"key":"{key}"}""", Json, 400, KeyServiceErrors.InvalidModelId },
        { "model owner/SQL", "owner", "/v1/model-keys/retire", """{"model":"{owner}/model' OR '1'='1","version":1}""", Json, 400, KeyServiceErrors.InvalidModelId },
        { "model owner/name/extra", "owner", "/v1/grants", """{"model":"{model}/extra","user":"{user}","measurement":"{measurement}"}""", Json, 400, KeyServiceErrors.InvalidModelId },
        { "model owner only", "owner", "/v1/grants/revoke", """{"model":"{owner}","user":"{user}","measurement":"{measurement}"}""", Json, 400, KeyServiceErrors.InvalidModelId },
        { "model empty name", "user", "/v1/request-keys", """{"model":"{owner}/","measurement":"{measurement}","version":2,"key":"{key}"}""", Json, 400, KeyServiceErrors.InvalidModelId },
        { "release model ../../etc", "runtime", "/v1/releases", """{"user":"{user}","model":"../../etc"}""", Json, 400, KeyServiceErrors.InvalidModelId },

        // Principal ids.
        { "user ../../etc", "owner", "/v1/grants", """{"model":"{model}","user":"../../etc","measurement":"{measurement}"}""", Json, 400, KeyServiceErrors.InvalidPrincipalId },
        { "user SQL", "owner", "/v1/grants", """{"model":"{model}","user":"x' OR '1'='1","measurement":"{measurement}"}""", Json, 400, KeyServiceErrors.InvalidPrincipalId },
        { "user upper-case", "owner", "/v1/grants", """{"model":"{model}","user":"{USER}","measurement":"{measurement}"}""", Json, 400, KeyServiceErrors.InvalidPrincipalId },
        { "user 65 chars", "owner", "/v1/grants/revoke", """{"model":"{model}","user":"{user}0","measurement":"{measurement}"}""", Json, 400, KeyServiceErrors.InvalidPrincipalId },
        { "user unicode", "owner", "/v1/grants", $$"""{"model":"{model}","user":"{{new string('\u0660', 64)}}","measurement":"{measurement}"}""", Json, 400, KeyServiceErrors.InvalidPrincipalId },
        { "release user SQL", "runtime", "/v1/releases", """{"user":"x' OR '1'='1","model":"{model}"}""", Json, 400, KeyServiceErrors.InvalidPrincipalId },
        { "release user upper-case", "runtime", "/v1/releases", """{"user":"{USER}","model":"{model}"}""", Json, 400, KeyServiceErrors.InvalidPrincipalId },

        // Measurements.
        { "measurement SQL", "owner", "/v1/grants", """{"model":"{model}","user":"{user}","measurement":"x' OR '1'='1"}""", Json, 400, KeyServiceErrors.InvalidMeasurement },
        { "measurement upper-case", "owner", "/v1/grants", """{"model":"{model}","user":"{user}","measurement":"{MEASUREMENT}"}""", Json, 400, KeyServiceErrors.InvalidMeasurement },
        { "measurement short", "owner", "/v1/grants", """{"model":"{model}","user":"{user}","measurement":"sim:mrenclave:abcd"}""", Json, 400, KeyServiceErrors.InvalidMeasurement },
        { "measurement wrong kind", "user", "/v1/request-keys", """{"model":"{model}","measurement":"tdx:mrenclave:{hex64}","version":2,"key":"{key}"}""", Json, 400, KeyServiceErrors.InvalidMeasurement },
        { "measurement path", "user", "/v1/request-keys/retire", """{"model":"{model}","measurement":"../../etc","version":1}""", Json, 400, KeyServiceErrors.InvalidMeasurement },

        // Keys.
        { "key with spaces", "owner", "/v1/model-keys", $$"""{"model":"{model}","version":2,"key":"{{Base64(32).Insert(8, " ")}}"}""", Json, 400, KeyServiceErrors.InvalidKey },
        { "key not base64", "owner", "/v1/model-keys", """{"model":"{model}","version":2,"key":"not base64!!"}""", Json, 400, KeyServiceErrors.InvalidKey },
        { "key empty", "owner", "/v1/model-keys", """{"model":"{model}","version":2,"key":""}""", Json, 400, KeyServiceErrors.InvalidKey },
        { "key 31 bytes", "owner", "/v1/model-keys", $$"""{"model":"{model}","version":2,"key":"{{Base64(31)}}"}""", Json, 400, KeyServiceErrors.InvalidKey },
        { "key 33 bytes", "owner", "/v1/model-keys", $$"""{"model":"{model}","version":2,"key":"{{Base64(33)}}"}""", Json, 400, KeyServiceErrors.InvalidKey },
        { "key 64 bytes", "owner", "/v1/model-keys", $$"""{"model":"{model}","version":2,"key":"{{Base64(64)}}"}""", Json, 400, KeyServiceErrors.InvalidKey },
        { "key 4 KiB", "owner", "/v1/model-keys", $$"""{"model":"{model}","version":2,"key":"{{Base64(3072)}}"}""", Json, 400, KeyServiceErrors.InvalidKey },
        { "key base64url", "owner", "/v1/model-keys", """{"model":"{model}","version":2,"key":"-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_8="}""", Json, 400, KeyServiceErrors.InvalidKey },
        { "key unpadded", "user", "/v1/request-keys", """{"model":"{model}","measurement":"{measurement}","version":2,"key":"{key-unpadded}"}""", Json, 400, KeyServiceErrors.InvalidKey },

        // Versions.
        { "version 0", "owner", "/v1/model-keys", """{"model":"{model}","version":0,"key":"{key}"}""", Json, 400, KeyServiceErrors.InvalidVersion },
        { "version -1", "owner", "/v1/model-keys", """{"model":"{model}","version":-1,"key":"{key}"}""", Json, 400, KeyServiceErrors.InvalidVersion },
        { "version int.MinValue", "user", "/v1/request-keys", """{"model":"{model}","measurement":"{measurement}","version":-2147483648,"key":"{key}"}""", Json, 400, KeyServiceErrors.InvalidVersion },
        { "retire version 0", "owner", "/v1/model-keys/retire", """{"model":"{model}","version":0}""", Json, 400, KeyServiceErrors.InvalidVersion },
        { "retire request key version -5", "user", "/v1/request-keys/retire", """{"model":"{model}","measurement":"{measurement}","version":-5}""", Json, 400, KeyServiceErrors.InvalidVersion },

        // Lease ids.
        { "lease ../../etc", "runtime", "/v1/releases/renew", """{"leaseId":"../../etc"}""", Json, 400, KeyServiceErrors.InvalidLeaseId },
        { "lease SQL", "runtime", "/v1/releases/renew", """{"leaseId":"x' OR '1'='1"}""", Json, 400, KeyServiceErrors.InvalidLeaseId },
        { "lease upper-case", "runtime", "/v1/releases/renew", """{"leaseId":"{LEASE}"}""", Json, 400, KeyServiceErrors.InvalidLeaseId },
        { "lease 31 hex", "runtime", "/v1/releases/renew", """{"leaseId":"{lease31}"}""", Json, 400, KeyServiceErrors.InvalidLeaseId },
        { "lease empty", "runtime", "/v1/releases/renew", """{"leaseId":""}""", Json, 400, KeyServiceErrors.InvalidLeaseId },

        // Display names.
        { "display name padded", "owner", "/v1/principals", """{"displayName":" owner "}""", Json, 400, KeyServiceErrors.InvalidDisplayName },
        { "display name control", "owner", "/v1/principals", """{"displayName":"own\ter"}""", Json, 400, KeyServiceErrors.InvalidDisplayName },
        { "display name empty", "owner", "/v1/principals", """{"displayName":""}""", Json, 400, KeyServiceErrors.InvalidDisplayName },
        { "display name 65 chars", "owner", "/v1/principals", $$"""{"displayName":"{{new string('n', 65)}}"}""", Json, 400, KeyServiceErrors.InvalidDisplayName },

        // Well-formed, but naming what is not there or not the caller's.
        { "unknown model", "owner", "/v1/model-keys", """{"model":"{owner}/nope","version":1,"key":"{key}"}""", Json, 404, KeyServiceErrors.ModelNotFound },
        { "request key on unknown model", "user", "/v1/request-keys", """{"model":"{owner}/nope","measurement":"{measurement}","version":1,"key":"{key}"}""", Json, 404, KeyServiceErrors.ModelNotFound },
        { "grant to unregistered user", "owner", "/v1/grants", """{"model":"{model}","user":"{hex64}","measurement":"{measurement}"}""", Json, 404, KeyServiceErrors.UnknownUser },
        { "user grants on owner's model", "user", "/v1/grants", """{"model":"{model}","user":"{user}","measurement":"{measurement}"}""", Json, 403, KeyServiceErrors.NotOwner },
        { "user revokes on owner's model", "user", "/v1/grants/revoke", """{"model":"{model}","user":"{user}","measurement":"{measurement}"}""", Json, 403, KeyServiceErrors.NotOwner },
        { "user adds owner's model key", "user", "/v1/model-keys", """{"model":"{model}","version":2,"key":"{key}"}""", Json, 403, KeyServiceErrors.NotOwner },
        { "user retires owner's model key", "user", "/v1/model-keys/retire", """{"model":"{model}","version":1}""", Json, 403, KeyServiceErrors.NotOwner },
        { "version gap", "owner", "/v1/model-keys", """{"model":"{model}","version":3,"key":"{key}"}""", Json, 409, KeyServiceErrors.VersionConflict },
        { "retire unknown version", "owner", "/v1/model-keys/retire", """{"model":"{model}","version":7}""", Json, 404, KeyServiceErrors.KeyNotFound },
        { "retire the only version", "owner", "/v1/model-keys/retire", """{"model":"{model}","version":1}""", Json, 409, KeyServiceErrors.RetireLatest },
        { "revoke what is not granted", "owner", "/v1/grants/revoke", """{"model":"{model}","user":"{owner}","measurement":"{measurement}"}""", Json, 404, KeyServiceErrors.GrantNotFound },
        { "renew unknown lease", "runtime", "/v1/releases/renew", """{"leaseId":"{lease}"}""", Json, 404, KeyServiceErrors.LeaseNotFound },
    };

    /// <summary>(case, query, code): bad query strings of the owner's GET routes, all 400.</summary>
    public static TheoryData<string, string, string> MalformedQueries => new()
    {
        { "model ../../etc", "/v1/model-keys?model=../../etc", KeyServiceErrors.InvalidModelId },
        { "model SQL", "/v1/grants?model=x%27%20OR%20%271%27%3D%271", KeyServiceErrors.InvalidModelId },
        { "model missing", "/v1/grants", KeyServiceErrors.InvalidModelId },
        { "model twice", "/v1/model-keys?model={model}&model={model}", KeyServiceErrors.InvalidModelId },
        { "model upper-case owner", "/v1/audit?model={OWNER}/model", KeyServiceErrors.InvalidModelId },
        { "model encoded slash path", "/v1/audit?model={owner}%2F..%2F..%2Fetc", KeyServiceErrors.InvalidModelId },
        { "limit 0", "/v1/audit?model={model}&limit=0", KeyServiceErrors.InvalidQuery },
        { "limit 1001", "/v1/audit?model={model}&limit=1001", KeyServiceErrors.InvalidQuery },
        { "limit negative", "/v1/audit?model={model}&limit=-1", KeyServiceErrors.InvalidQuery },
        { "limit text", "/v1/audit?model={model}&limit=ten", KeyServiceErrors.InvalidQuery },
        { "limit twice", "/v1/audit?model={model}&limit=1&limit=2", KeyServiceErrors.InvalidQuery },
        { "after negative", "/v1/audit?model={model}&after=-1", KeyServiceErrors.InvalidQuery },
        { "after exponent", "/v1/audit?model={model}&after=1e3", KeyServiceErrors.InvalidQuery },
        { "after beyond long", "/v1/audit?model={model}&after=99999999999999999999", KeyServiceErrors.InvalidQuery },
    };

    public static TheoryData<string, string> UnknownRoutes => new()
    {
        { "GET", "/v1/nope" },
        { "POST", "/v2/models" },
        { "GET", "/v1/models/extra" },
        { "POST", "/v1/grants/revoke/extra" },
        { "GET", "/v1" },
        { "GET", "/" },
        { "GET", "/v1/principals/%2E%2E/%2E%2E/etc/passwd" },
        { "POST", "/v1/releases/renew/../../../admin" },
    };

    public static TheoryData<string, string> WrongMethods => new()
    {
        { "DELETE", "/v1/models" },
        { "PUT", "/v1/grants" },
        { "GET", "/v1/releases" },
        { "GET", "/v1/releases/renew" },
        { "POST", "/v1/principals/me" },
        { "PATCH", "/v1/model-keys" },
        { "DELETE", "/v1/audit" },
        { "POST", "/healthz" },
        { "PUT", "/v1/info" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task MalformedBody_IsRefusedWithItsCode_AndChangesNothing(string name, string caller, string route, string body, string? contentType, int status, string code)
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var api = caller switch
        {
            "owner" => scenario.OwnerApi,
            "user" => scenario.UserApi,
            _ => (await scenario.NewRuntimeAsync()).Api,
        };
        var before = await harness.FingerprintAsync();

        var reply = await api.PostRawAsync(route, Fill(body, scenario), contentType, Token);

        Assert.True((int)reply.Status == status && reply.ErrorCode == code, $"{name}: expected {status} {code}, got {reply}");
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task RegisterPrincipal_WithAnEmptyObject_RegistersWithoutADisplayName()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var api = harness.Client(harness.NewPrincipal());

        var reply = await api.SendAsync(HttpMethod.Post, "/v1/principals", JsonContent("{}"), Token);

        Assert.True(reply.Status == HttpStatusCode.Created, reply.ToString());
    }

    [Theory]
    [MemberData(nameof(MalformedQueries))]
    public async Task MalformedQuery_IsRefusedWithItsCode_AndChangesNothing(string name, string query, string code)
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var before = await harness.FingerprintAsync();

        var reply = await scenario.OwnerApi.GetAsync(Fill(query, scenario), Token);

        Assert.True(reply.Status == HttpStatusCode.BadRequest && reply.ErrorCode == code, $"{name}: expected 400 {code}, got {reply}");
        await harness.AssertUnchangedAsync(before);
    }

    [Theory]
    [MemberData(nameof(UnknownRoutes))]
    public async Task UnknownRoute_Is404UnknownRoute_WithOrWithoutCertificate(string method, string path)
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var (_, owner) = await harness.RegisteredPrincipalAsync();
        var anonymous = harness.Client(certificate: null);
        var before = await harness.FingerprintAsync();

        foreach (var api in new[] { owner, anonymous })
        {
            var reply = await api.SendAsync(new HttpMethod(method), path, JsonContent("{}"), Token);
            reply.AssertError(HttpStatusCode.NotFound, KeyServiceErrors.UnknownRoute);
        }

        await harness.AssertUnchangedAsync(before);
    }

    [Theory]
    [MemberData(nameof(WrongMethods))]
    public async Task WrongMethod_Is405MethodNotAllowed(string method, string path)
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var (_, owner) = await harness.RegisteredPrincipalAsync();
        var before = await harness.FingerprintAsync();

        var reply = await owner.SendAsync(new HttpMethod(method), path, method == "GET" ? null : JsonContent("{}"), Token);

        reply.AssertError(HttpStatusCode.MethodNotAllowed, KeyServiceErrors.MethodNotAllowed);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task OversizedBody_WithContentLength_Is413TooLarge_AndChangesNothing()
    {
        await using var harness = await KeyServiceHarness.StartAsync(o => o.MaxRequestBodyBytes = 2048);
        var (_, owner) = await harness.RegisteredPrincipalAsync();
        var before = await harness.FingerprintAsync();

        var reply = await owner.PostJsonAsync(KeyServiceRoutes.Models, $$"""{"name":"m","pad":"{{new string(' ', 4096)}}"}""", Token);

        reply.AssertError(HttpStatusCode.RequestEntityTooLarge, KeyServiceErrors.TooLarge);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task OversizedBody_Chunked_Is413TooLarge_AndChangesNothing()
    {
        await using var harness = await KeyServiceHarness.StartAsync(o => o.MaxRequestBodyBytes = 2048);
        var (_, owner) = await harness.RegisteredPrincipalAsync();
        var before = await harness.FingerprintAsync();

        // A stream of unknown length is sent chunked, without Content-Length: the limit applies while reading.
        var body = Encoding.UTF8.GetBytes($$"""{"name":"m{{new string('a', 8000)}}"}""");
        using var content = new StreamContent(new UnknownLengthStream(body));
        content.Headers.ContentType = new MediaTypeHeaderValue(Json);
        var reply = await owner.SendAsync(HttpMethod.Post, KeyServiceRoutes.Models, content, Token);

        reply.AssertError(HttpStatusCode.RequestEntityTooLarge, KeyServiceErrors.TooLarge);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task BodyJustUnderTheLimit_IsRead()
    {
        await using var harness = await KeyServiceHarness.StartAsync(o => o.MaxRequestBodyBytes = 2048);
        var (_, owner) = await harness.RegisteredPrincipalAsync();

        // 2048 bytes exactly: read and judged on its content (an over-long name), not refused for its size.
        var prefix = """{"name":""";
        var json = prefix + "\"" + new string('a', 2048 - prefix.Length - 3) + "\"}";
        Assert.Equal(2048, Encoding.UTF8.GetByteCount(json));
        var reply = await owner.PostJsonAsync(KeyServiceRoutes.Models, json, Token);

        reply.AssertError(HttpStatusCode.BadRequest, KeyServiceErrors.InvalidModelName);
    }

    [Fact]
    public async Task RegisterPrincipal_Twice_IsCreatedThenUnchanged()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var principal = harness.NewPrincipal();
        var api = harness.Client(principal);

        var first = (await api.RegisterAsync(Token, "alice")).Read(Contracts.PrincipalInfo, HttpStatusCode.Created);
        var before = await harness.FingerprintAsync();
        var second = (await api.RegisterAsync(Token, "someone else")).Read(Contracts.PrincipalInfo, HttpStatusCode.OK);

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(principal.Id.Value, second.PrincipalId);
        Assert.Equal("alice", second.DisplayName);
        Assert.Equal(first.RegisteredAt, second.RegisteredAt);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task RegisterModel_Twice_IsCreatedThenUnchanged()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var (_, owner) = await harness.RegisteredPrincipalAsync();

        var first = (await owner.RegisterModelAsync("model", Token)).Read(Contracts.ModelInfo, HttpStatusCode.Created);
        var before = await harness.FingerprintAsync();
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        var second = (await owner.RegisterModelAsync("model", Token)).Read(Contracts.ModelInfo, HttpStatusCode.OK);

        Assert.False(second.Created);
        Assert.Equal(first with { Created = false }, second);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task AddModelKey_SameVersionAndKeyTwice_IsUnchanged_WithOneAuditEntry()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness, modelKey: false);
        var key = KeyServiceHarness.NewKey();

        var first = (await scenario.OwnerApi.AddModelKeyAsync(scenario.Model, 1, key, Token)).Read(Contracts.KeyVersionInfo, HttpStatusCode.Created);
        var before = await harness.FingerprintAsync();
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        var replay = (await scenario.OwnerApi.AddModelKeyAsync(scenario.Model, 1, key, Token)).Read(Contracts.KeyVersionInfo, HttpStatusCode.OK);

        Assert.True(first.Created);
        Assert.False(replay.Created);
        Assert.Equal(first with { Created = false }, replay);
        Assert.Equal(KeyServiceHarness.KeyIdOf(key), replay.KeyId);
        await harness.AssertUnchangedAsync(before);
        var entries = await ReadAuditAsync(scenario);
        Assert.Single(entries, e => e.Action == AuditActions.ModelKeyAdded);
    }

    [Fact]
    public async Task AddModelKey_SameVersionWithAnotherKey_Is409VersionConflict()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var before = await harness.FingerprintAsync();

        var reply = await scenario.OwnerApi.AddModelKeyAsync(scenario.Model, 1, KeyServiceHarness.NewKey(), Token);

        reply.AssertError(HttpStatusCode.Conflict, KeyServiceErrors.VersionConflict);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task AddModelKey_ReusingAnOldKeyForANewVersion_Is409KeyReused()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        await scenario.AddModelKeyAsync(2);
        var before = await harness.FingerprintAsync();

        var reply = await scenario.OwnerApi.AddModelKeyAsync(scenario.Model, 3, scenario.ModelKeys[1], Token);

        reply.AssertError(HttpStatusCode.Conflict, KeyServiceErrors.KeyReused);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task AddRequestKey_Replay_IsUnchanged_AndReuse_IsRefused()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var before = await harness.FingerprintAsync();

        var replay = (await scenario.UserApi.AddRequestKeyAsync(scenario.Model, scenario.Measurement, 1, scenario.RequestKeys[1], Token)).Read(Contracts.RequestKeyInfo, HttpStatusCode.OK);
        var conflict = await scenario.UserApi.AddRequestKeyAsync(scenario.Model, scenario.Measurement, 1, KeyServiceHarness.NewKey(), Token);
        var reused = await scenario.UserApi.AddRequestKeyAsync(scenario.Model, scenario.Measurement, 2, scenario.RequestKeys[1], Token);

        Assert.False(replay.Created);
        conflict.AssertError(HttpStatusCode.Conflict, KeyServiceErrors.VersionConflict);
        reused.AssertError(HttpStatusCode.Conflict, KeyServiceErrors.KeyReused);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task Grant_Twice_IsCreatedThenUnchanged()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness, grant: false);

        var first = (await scenario.OwnerApi.GrantAsync(scenario.Model, scenario.UserId, scenario.Measurement, Token)).Read(Contracts.GrantInfo, HttpStatusCode.Created);
        var before = await harness.FingerprintAsync();
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        var second = (await scenario.OwnerApi.GrantAsync(scenario.Model, scenario.UserId, scenario.Measurement, Token)).Read(Contracts.GrantInfo, HttpStatusCode.OK);

        Assert.True(first.Changed);
        Assert.False(second.Changed);
        Assert.Equal(first.GrantedAt, second.GrantedAt);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task Revoke_Twice_SecondIs404GrantNotFound_AndChangesNothing()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);

        var first = await scenario.OwnerApi.RevokeAsync(scenario.Model, scenario.UserId, scenario.Measurement, Token);
        var before = await harness.FingerprintAsync();
        var second = await scenario.OwnerApi.RevokeAsync(scenario.Model, scenario.UserId, scenario.Measurement, Token);

        Assert.True(first.Read(Contracts.GrantInfo, HttpStatusCode.OK).Changed);
        second.AssertError(HttpStatusCode.NotFound, KeyServiceErrors.GrantNotFound);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task RetireModelKey_Twice_IsOkThenUnchanged()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        await scenario.AddModelKeyAsync(2);

        var first = (await scenario.OwnerApi.RetireModelKeyAsync(scenario.Model, 1, Token)).Read(Contracts.KeyVersionInfo, HttpStatusCode.OK);
        var before = await harness.FingerprintAsync();
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        var second = (await scenario.OwnerApi.RetireModelKeyAsync(scenario.Model, 1, Token)).Read(Contracts.KeyVersionInfo, HttpStatusCode.OK);

        Assert.NotNull(first.RetiredAt);
        Assert.Equal(first.RetiredAt, second.RetiredAt);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task Release_ForAnUngrantedMeasurement_Is403NotGranted_AndChangesNothing()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var (runtime, _) = await scenario.NewRuntimeAsync(SimulatedTee.Enclave("runtime-b"));
        var before = await harness.FingerprintAsync();

        var reply = await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token);

        reply.AssertError(HttpStatusCode.Forbidden, KeyServiceErrors.NotGranted);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task Release_ForAnotherUserOrModel_Is403NotGranted()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var (runtime, _) = await scenario.NewRuntimeAsync();
        var before = await harness.FingerprintAsync();

        var otherUser = await runtime.ReleaseAsync(scenario.Owner.Id.Value, scenario.Model, Token);
        var otherModel = await runtime.ReleaseAsync(scenario.UserId, scenario.Owner.Id.Value + "/unknown", Token);

        otherUser.AssertError(HttpStatusCode.Forbidden, KeyServiceErrors.NotGranted);
        otherModel.AssertError(HttpStatusCode.Forbidden, KeyServiceErrors.NotGranted);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task Release_WithoutARequestKey_Is403NoRequestKey_AndChangesNothing()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness, requestKey: false);

        // A request key for another measurement does not count.
        var elsewhere = SimulatedTee.Enclave("runtime-b").Measurement.ToString();
        (await scenario.UserApi.AddRequestKeyAsync(scenario.Model, elsewhere, 1, KeyServiceHarness.NewKey(), Token)).Read(Contracts.RequestKeyInfo, HttpStatusCode.Created);
        var (runtime, _) = await scenario.NewRuntimeAsync();
        var before = await harness.FingerprintAsync();

        var reply = await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token);

        reply.AssertError(HttpStatusCode.Forbidden, KeyServiceErrors.NoRequestKey);
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task Release_WithoutAModelKey_Is409NoModelKey_AndChangesNothing()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness, modelKey: false);
        var (runtime, _) = await scenario.NewRuntimeAsync();
        var before = await harness.FingerprintAsync();

        var reply = await runtime.ReleaseAsync(scenario.UserId, scenario.Model, Token);

        reply.AssertError(HttpStatusCode.Conflict, KeyServiceErrors.NoModelKey);
        await harness.AssertUnchangedAsync(before);
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("p384")]
    public async Task ClientCertificate_WithoutAP256Key_IsNoPrincipal(string kind)
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        using var key = kind == "rsa" ? (AsymmetricAlgorithm)RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var request = key is RSA rsa
            ? new CertificateRequest("CN=not-a-principal", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest("CN=not-a-principal", (ECDsa)key, HashAlgorithmName.SHA384);
        var now = harness.Time.GetUtcNow();
        var api = harness.Client(harness.Own(request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1))));
        var before = await harness.FingerprintAsync();

        var reply = await api.RegisterAsync(Token);

        reply.AssertError(HttpStatusCode.Forbidden, "attestation.not_principal");
        await harness.AssertUnchangedAsync(before);
    }

    [Fact]
    public async Task RuntimeCertificate_CarryingEvidenceCopiedFromAnotherRuntime_IsRefused()
    {
        await using var harness = await KeyServiceHarness.StartAsync();
        var scenario = await Scenario.CreateAsync(harness);
        var genuine = await harness.RuntimeCertificateAsync();

        // The granted runtime's evidence, pasted into a certificate over a key the host made itself.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(genuine.SubjectName, key, HashAlgorithmName.SHA256);
        foreach (var extension in genuine.Extensions.Where(e => e.Oid?.Value is RaTlsFormat.EvidenceOid or RaTlsFormat.EndorsementsOid))
        {
            request.CertificateExtensions.Add(extension);
        }

        var now = harness.Time.GetUtcNow();
        var forged = harness.Client(harness.Own(request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1))));
        var before = await harness.FingerprintAsync();

        var reply = await forged.ReleaseAsync(scenario.UserId, scenario.Model, Token);

        reply.AssertError(HttpStatusCode.Forbidden, "attestation.public_key_mismatch");
        await harness.AssertUnchangedAsync(before);
    }

    private static async Task<List<AuditEntry>> ReadAuditAsync(Scenario scenario)
    {
        var page = (await scenario.OwnerApi.ReadAuditAsync(scenario.Model, 0, 1000, Token)).Read(Contracts.AuditPage);
        return [.. page.Entries];
    }

    private static string Fill(string template, Scenario scenario)
    {
        var key = Convert.ToBase64String(KeyServiceHarness.NewKey());
        var lease = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return template
            .Replace("{model}", scenario.Model, StringComparison.Ordinal)
            .Replace("{owner}", scenario.Owner.Id.Value, StringComparison.Ordinal)
            .Replace("{OWNER}", scenario.Owner.Id.Value.ToUpperInvariant(), StringComparison.Ordinal)
            .Replace("{user}", scenario.UserId, StringComparison.Ordinal)
            .Replace("{USER}", scenario.UserId.ToUpperInvariant(), StringComparison.Ordinal)
            .Replace("{measurement}", scenario.Measurement, StringComparison.Ordinal)
            .Replace("{MEASUREMENT}", "sim:mrenclave:" + scenario.Runtime.Measurement.Hex.ToUpperInvariant(), StringComparison.Ordinal)
            .Replace("{hex64}", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), StringComparison.Ordinal)
            .Replace("{key-unpadded}", key.TrimEnd('='), StringComparison.Ordinal)
            .Replace("{key}", key, StringComparison.Ordinal)
            .Replace("{lease31}", lease[..31], StringComparison.Ordinal)
            .Replace("{LEASE}", lease.ToUpperInvariant(), StringComparison.Ordinal)
            .Replace("{lease}", lease, StringComparison.Ordinal);
    }

    private static string Base64(int bytes) => Convert.ToBase64String(new byte[bytes]);

    private static ByteArrayContent JsonContent(string json)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json));
        content.Headers.ContentType = new MediaTypeHeaderValue(Json);
        return content;
    }

    /// <summary>A read-only stream that hides its length, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] data) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(count, data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
