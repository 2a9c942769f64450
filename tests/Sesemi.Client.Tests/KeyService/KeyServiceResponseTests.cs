using System.Net;
using System.Text;
using Sesemi.Client.KeyService;
using Sesemi.Contracts.KeyService;

namespace Sesemi.Client.Tests.KeyService;

/// <summary>How replies become records or <see cref="KeyServiceException"/>s.</summary>
public sealed class KeyServiceResponseTests
{
    private static readonly KeyServiceJsonContext Json = KeyServiceJsonContext.Default;

    [Fact]
    public void ErrorBody_BecomesAnExceptionWithItsCodeMessageAndStatus()
    {
        var body = """{"error":{"code":"model.not_owner","message":"you do not own this model"}}"""u8.ToArray();

        var error = Assert.Throws<KeyServiceException>(() => KeyServiceConnection.ReadResponse(HttpStatusCode.Forbidden, body, Json.ModelInfo));

        Assert.Equal(KeyServiceErrors.NotOwner, error.Code);
        Assert.Equal("you do not own this model", error.Message);
        Assert.Equal(HttpStatusCode.Forbidden, error.Status);
        Assert.Equal("model.not_owner: you do not own this model", error.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("<html>Bad gateway</html>")]
    [InlineData("""{"error":"oops"}""")]
    [InlineData("""{"error":{"code":"","message":"empty code"}}""")]
    [InlineData("""{"modelId":"x"}""")]
    public void ErrorStatus_WithoutAnErrorBody_IsABadResponse(string body)
    {
        var error = Assert.Throws<KeyServiceException>(() => KeyServiceConnection.ReadResponse(HttpStatusCode.BadGateway, Encoding.UTF8.GetBytes(body), Json.ModelInfo));

        Assert.Equal(KeyServiceClientErrors.BadResponse, error.Code);
        Assert.Equal(HttpStatusCode.BadGateway, error.Status);
        Assert.Contains("502", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SuccessBody_IsReadStrictly()
    {
        var body = """{"principalId":"p","displayName":null,"registeredAt":"2026-11-01T00:00:00+00:00","created":true}"""u8.ToArray();

        var principal = KeyServiceConnection.ReadResponse(HttpStatusCode.Created, body, Json.PrincipalInfo);

        Assert.Equal("p", principal.PrincipalId);
        Assert.True(principal.Created);
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("not json")]
    [InlineData("""{"principalId":"p","registeredAt":"2026-11-01T00:00:00+00:00","created":true,"extra":1}""")]
    [InlineData("""{"principalId":"p","displayName":null,"created":true}""")]
    [InlineData("""{"error":{"code":"x","message":"y"}}""")]
    public void SuccessStatus_WithABodyThatIsNotTheRecord_IsABadResponse(string body)
    {
        var error = Assert.Throws<KeyServiceException>(() => KeyServiceConnection.ReadResponse(HttpStatusCode.OK, Encoding.UTF8.GetBytes(body), Json.PrincipalInfo));

        Assert.Equal(KeyServiceClientErrors.BadResponse, error.Code);
        Assert.Contains(nameof(PrincipalInfo), error.Message, StringComparison.Ordinal);
    }
}
