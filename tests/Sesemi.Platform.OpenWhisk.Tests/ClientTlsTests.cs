using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Gateway.Platforms;

namespace Sesemi.Platform.OpenWhisk.Tests;

/// <summary>A self-signed deployment (<c>wsk -i</c>): refused by default, accepted with <see cref="OpenWhiskOptions.AllowInsecureTls"/>.</summary>
public sealed class ClientTlsTests
{
    [Theory]
    [InlineData(false, PlatformErrorCode.Unavailable)]
    [InlineData(true, PlatformErrorCode.NotFound)]
    public async Task SelfSignedCertificate_NeedsAllowInsecureTls(bool allowInsecure, PlatformErrorCode expected)
    {
        using var certificate = SelfSigned();
        await using var server = await ReplayServer.StartAsync(TimeProvider.System, certificate);
        server.Fallback = Scripted.File(404, "error-404.json");
        var options = new OpenWhiskOptions
        {
            ApiHost = new Uri($"https://127.0.0.1:{server.Url.Port}/"),
            Auth = ClientHarness.Key,
            AllowInsecureTls = allowInsecure,
            RequestTimeout = TimeSpan.FromSeconds(60),
        };
        await using var platform = OpenWhiskPlatform.Create(options, TimeProvider.System);

        var result = await platform.GetAsync("fn", TestContext.Current.CancellationToken);

        Assert.Equal(expected, result.Error!.Code);
        Assert.Equal(allowInsecure ? 1 : 0, server.Requests.Count);
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=openwhisk.test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        // A fixed window (2023 to 2073) instead of the wall clock, which tests do not read.
        var notBefore = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        using var created = request.CreateSelfSigned(notBefore, notBefore.AddYears(50));
        // Re-imported so Kestrel's TLS stack can use the private key on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }
}
