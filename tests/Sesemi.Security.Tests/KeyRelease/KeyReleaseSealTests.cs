using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Envelopes;
using Sesemi.Security.KeyRelease;
using Sesemi.Security.RaTls;
using Sesemi.Security.Tests.Attestation;

namespace Sesemi.Security.Tests.KeyRelease;

public sealed class KeyReleaseSealTests
{
    // Layout: ephemeral SPKI length u16 BE ‖ ephemeral SPKI ‖ message envelope.
    private const int P256SpkiLength = 91;

    private static readonly byte[] Payload = "SKR1 stand-in: any bytes the seal carries"u8.ToArray();

    private static EnvelopeContext Context => KeyReleasePayload.Context("0123456789abcdef0123456789abcdef", "user-1", "owner/model", "sim:mrenclave:00");

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    /// <summary>A runtime's attested TLS certificate, made inside the simulated TEE the way a runtime makes it.</summary>
    private static async Task<X509Certificate2> RuntimeCertificateAsync(SimulatedTeeFixture tee) =>
        await RaTlsCertificate.CreateAsync(tee.Provider, "runtime", tee.Time, cancellationToken: Cancellation);

    private static byte[] SpkiOf(X509Certificate2 certificate) => certificate.PublicKey.ExportSubjectPublicKeyInfo();

    [Fact]
    public async Task Seal_ToAttestedCertificate_OpensWithItsRecipientKey()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RuntimeCertificateAsync(tee);

        var sealedRelease = KeyReleaseSeal.Seal(SpkiOf(certificate), Payload, Context);
        using var recipient = KeyReleaseSeal.RecipientKeyOf(certificate);
        var error = KeyReleaseSeal.TryOpen(recipient, sealedRelease, Context, out var opened);

        Assert.Equal(EnvelopeError.None, error);
        Assert.Equal(Payload, opened);
    }

    [Fact]
    public async Task Seal_Layout_IsLengthPrefixedP256SpkiThenMessageEnvelope()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RuntimeCertificateAsync(tee);

        var sealedRelease = KeyReleaseSeal.Seal(SpkiOf(certificate), Payload, Context);

        var spkiLength = BinaryPrimitives.ReadUInt16BigEndian(sealedRelease);
        Assert.Equal(P256SpkiLength, spkiLength);
        using var ephemeral = ECDiffieHellman.Create();
        ephemeral.ImportSubjectPublicKeyInfo(sealedRelease.AsSpan(2, spkiLength), out var read);
        Assert.Equal(spkiLength, read);
        Assert.Equal(256, ephemeral.KeySize);
        var envelope = sealedRelease.AsSpan(2 + spkiLength);
        Assert.Equal(Envelope.Overhead + Payload.Length, envelope.Length);
        Assert.Equal(EnvelopeError.None, Envelope.TryGetPlaintextLength(envelope, out var length));
        Assert.Equal(Payload.Length, length);
    }

    [Fact]
    public async Task Seal_EmptyPayload_RoundTrips()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RuntimeCertificateAsync(tee);
        using var recipient = KeyReleaseSeal.RecipientKeyOf(certificate);

        var error = KeyReleaseSeal.TryOpen(recipient, KeyReleaseSeal.Seal(SpkiOf(certificate), [], Context), Context, out var opened);

        Assert.Equal(EnvelopeError.None, error);
        Assert.Empty(opened!);
    }

    [Fact]
    public async Task Seal_SamePayloadTwice_DiffersByFreshEphemeralKey()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RuntimeCertificateAsync(tee);
        var spki = SpkiOf(certificate);

        var first = KeyReleaseSeal.Seal(spki, Payload, Context);
        var second = KeyReleaseSeal.Seal(spki, Payload, Context);

        Assert.NotEqual(first, second);
        Assert.NotEqual(first.AsSpan(2, P256SpkiLength).ToArray(), second.AsSpan(2, P256SpkiLength).ToArray());
        Assert.NotEqual(first.AsSpan(2 + P256SpkiLength).ToArray(), second.AsSpan(2 + P256SpkiLength).ToArray());
        using var recipient = KeyReleaseSeal.RecipientKeyOf(certificate);
        Assert.Equal(EnvelopeError.None, KeyReleaseSeal.TryOpen(recipient, first, Context, out _));
        Assert.Equal(EnvelopeError.None, KeyReleaseSeal.TryOpen(recipient, second, Context, out _));
    }

    [Fact]
    public async Task TryOpen_AnotherCertificatesKey_CannotOpen()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RuntimeCertificateAsync(tee);
        using var other = await RuntimeCertificateAsync(tee);
        var sealedRelease = KeyReleaseSeal.Seal(SpkiOf(certificate), Payload, Context);

        using var otherRecipient = KeyReleaseSeal.RecipientKeyOf(other);
        var error = KeyReleaseSeal.TryOpen(otherRecipient, sealedRelease, Context, out var opened);

        // The other key derives another envelope key, whose id the header does not carry.
        Assert.Equal(EnvelopeError.KeyMismatch, error);
        Assert.Null(opened);
    }

    [Fact]
    public async Task TryOpen_UnrelatedP256Key_CannotOpen()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RuntimeCertificateAsync(tee);
        var sealedRelease = KeyReleaseSeal.Seal(SpkiOf(certificate), Payload, Context);

        using var stranger = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var error = KeyReleaseSeal.TryOpen(stranger, sealedRelease, Context, out var opened);

        Assert.NotEqual(EnvelopeError.None, error);
        Assert.Null(opened);
    }

    public static TheoryData<string> OtherContexts =>
    [
        "lease",
        "user",
        "model",
        "measurement",
        "purpose",
        "extra-field",
    ];

    [Theory]
    [MemberData(nameof(OtherContexts))]
    public async Task TryOpen_AnyOtherContext_Fails(string differing)
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RuntimeCertificateAsync(tee);
        const string Lease = "0123456789abcdef0123456789abcdef";
        var sealedRelease = KeyReleaseSeal.Seal(SpkiOf(certificate), Payload, KeyReleasePayload.Context(Lease, "u", "m", "sim:mrenclave:aa"));
        var other = differing switch
        {
            "lease" => KeyReleasePayload.Context("fedcba9876543210fedcba9876543210", "u", "m", "sim:mrenclave:aa"),
            "user" => KeyReleasePayload.Context(Lease, "u2", "m", "sim:mrenclave:aa"),
            "model" => KeyReleasePayload.Context(Lease, "u", "m2", "sim:mrenclave:aa"),
            "measurement" => KeyReleasePayload.Context(Lease, "u", "m", "sim:mrenclave:ab"),
            "purpose" => EnvelopeContext.For(EnvelopePurposes.Request).With("lease", Lease).With("user", "u").With("model", "m").With("measurement", "sim:mrenclave:aa"),
            _ => KeyReleasePayload.Context(Lease, "u", "m", "sim:mrenclave:aa").With("extra", "x"),
        };

        using var recipient = KeyReleaseSeal.RecipientKeyOf(certificate);
        var error = KeyReleaseSeal.TryOpen(recipient, sealedRelease, other, out var opened);

        Assert.Contains(error.Code(), new[] { "envelope.context_mismatch", "envelope.authentication_failed" });
        Assert.Null(opened);
    }

    [Fact]
    public async Task TryOpen_SameContextBuiltAgain_Opens()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RuntimeCertificateAsync(tee);
        var sealedRelease = KeyReleaseSeal.Seal(SpkiOf(certificate), Payload, KeyReleasePayload.Context("l", "u", "m", "x"));

        using var recipient = KeyReleaseSeal.RecipientKeyOf(certificate);

        Assert.Equal(EnvelopeError.None, KeyReleaseSeal.TryOpen(recipient, sealedRelease, KeyReleasePayload.Context("l", "u", "m", "x"), out _));
    }

    [Fact]
    public async Task TryOpen_EverySingleByteFlip_Fails()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RuntimeCertificateAsync(tee);
        using var recipient = KeyReleaseSeal.RecipientKeyOf(certificate);
        var sealedRelease = KeyReleaseSeal.Seal(SpkiOf(certificate), Payload, Context);

        AssertEveryFlipFails(recipient, sealedRelease, skip: default);
    }

    [Fact]
    public async Task TryOpen_EphemeralSpkiWithUnknownCurveOid_ReturnsMalformed()
    {
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var spki = ephemeral.ExportSubjectPublicKeyInfo();
        var curveOid = spki.AsSpan().IndexOf(P256CurveOid);
        spki[curveOid + 7] ^= 0x01; // 1.2.840.10045.3.1.7 becomes 1.2.840.10045.2.1.7: no such curve.

        var error = await OpenWithEphemeralSpkiAsync(spki);

        Assert.Equal(EnvelopeError.Malformed, error);
    }

    /// <summary>DER of the P-256 curve OID 1.2.840.10045.3.1.7 (tag, length, value).</summary>
    private static ReadOnlySpan<byte> P256CurveOid => [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];

    /// <summary>Bounded sweep: every position of the (small) sealed release, three flips each, outside <paramref name="skip"/>.</summary>
    private static void AssertEveryFlipFails(ECDiffieHellman recipient, byte[] sealedRelease, Range skip)
    {
        var (skipStart, skipLength) = skip.GetOffsetAndLength(sealedRelease.Length);
        byte[] masks = [0x01, 0x80, 0xFF];
        for (var position = 0; position < sealedRelease.Length; position++)
        {
            if (position >= skipStart && position < skipStart + skipLength)
            {
                continue;
            }

            foreach (var mask in masks)
            {
                var tampered = (byte[])sealedRelease.Clone();
                tampered[position] ^= mask;

                var error = KeyReleaseSeal.TryOpen(recipient, tampered, Context, out var opened);

                Assert.True(error != EnvelopeError.None, $"flipping byte {position} with 0x{mask:x2} opened");
                Assert.Null(opened);
            }
        }
    }

    [Fact]
    public async Task TryOpen_TruncatedAtEveryLength_ReturnsTruncatedWithoutThrowing()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RuntimeCertificateAsync(tee);
        using var recipient = KeyReleaseSeal.RecipientKeyOf(certificate);
        var sealedRelease = KeyReleaseSeal.Seal(SpkiOf(certificate), Payload, Context);

        for (var length = 0; length < sealedRelease.Length; length++)
        {
            var error = KeyReleaseSeal.TryOpen(recipient, sealedRelease.AsSpan(0, length), Context, out var opened);

            Assert.True(error == EnvelopeError.Truncated, $"length {length}: {error}");
            Assert.Null(opened);
        }
    }

    [Fact]
    public async Task TryOpen_TrailingByte_Fails()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RuntimeCertificateAsync(tee);
        using var recipient = KeyReleaseSeal.RecipientKeyOf(certificate);
        var sealedRelease = KeyReleaseSeal.Seal(SpkiOf(certificate), Payload, Context);

        var error = KeyReleaseSeal.TryOpen(recipient, [.. sealedRelease, 0], Context, out var opened);

        Assert.Equal(EnvelopeError.Malformed, error);
        Assert.Null(opened);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(257)]
    [InlineData(300)]
    [InlineData(ushort.MaxValue)]
    public async Task TryOpen_SpkiLengthZeroOrAbove256_ReturnsMalformed(int declared)
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RuntimeCertificateAsync(tee);
        using var recipient = KeyReleaseSeal.RecipientKeyOf(certificate);
        var sealedRelease = KeyReleaseSeal.Seal(SpkiOf(certificate), Payload, Context);
        // Enough bytes behind the prefix for any declared length, so only the length itself is wrong.
        var tampered = new byte[2 + ushort.MaxValue + sealedRelease.Length];
        sealedRelease.CopyTo(tampered, 0);
        BinaryPrimitives.WriteUInt16BigEndian(tampered, (ushort)declared);

        var error = KeyReleaseSeal.TryOpen(recipient, tampered, Context, out var opened);

        Assert.Equal(EnvelopeError.Malformed, error);
        Assert.Null(opened);
    }

    [Fact]
    public async Task TryOpen_P384EphemeralKey_ReturnsMalformed()
    {
        using var p384 = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP384);

        var error = await OpenWithEphemeralSpkiAsync(p384.ExportSubjectPublicKeyInfo());

        Assert.Equal(EnvelopeError.Malformed, error);
    }

    [Theory]
    [InlineData("1.3.132.0.10")] // secp256k1
    [InlineData("1.3.36.3.3.2.8.1.1.7")] // brainpoolP256r1
    public async Task TryOpen_Other256BitCurveEphemeralKey_FailsWithoutThrowing(string curveOid)
    {
        ECDiffieHellman other;
        try
        {
            other = ECDiffieHellman.Create(ECCurve.CreateFromValue(curveOid));
        }
        catch (Exception e) when (e is PlatformNotSupportedException or CryptographicException)
        {
            Assert.Skip($"curve {curveOid} is not available on this platform: {e.Message}");
            return;
        }

        using (other)
        {
            var error = await OpenWithEphemeralSpkiAsync(other.ExportSubjectPublicKeyInfo());

            Assert.NotEqual(EnvelopeError.None, error);
        }
    }

    [Fact]
    public async Task TryOpen_RsaKeyAsEphemeral_ReturnsMalformed()
    {
        using var rsa = RSA.Create(1024);
        var spki = rsa.ExportSubjectPublicKeyInfo();
        Assert.InRange(spki.Length, 1, 256);

        var error = await OpenWithEphemeralSpkiAsync(spki);

        Assert.Equal(EnvelopeError.Malformed, error);
    }

    [Fact]
    public async Task TryOpen_GarbageEphemeralSpki_ReturnsMalformed()
    {
        var garbage = new byte[P256SpkiLength];
        for (var i = 0; i < garbage.Length; i++)
        {
            garbage[i] = (byte)((i * 37) + 11);
        }

        var error = await OpenWithEphemeralSpkiAsync(garbage);

        Assert.Equal(EnvelopeError.Malformed, error);
    }

    [Fact]
    public async Task TryOpen_EphemeralSpkiWithTrailingByteInsideDeclaredLength_ReturnsMalformed()
    {
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        var error = await OpenWithEphemeralSpkiAsync([.. ephemeral.ExportSubjectPublicKeyInfo(), 0]);

        Assert.Equal(EnvelopeError.Malformed, error);
    }

    [Fact]
    public async Task TryOpen_EphemeralPointOffTheCurve_ReturnsMalformed()
    {
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var spki = ephemeral.ExportSubjectPublicKeyInfo();
        spki[^1] ^= 0x01;

        var error = await OpenWithEphemeralSpkiAsync(spki);

        Assert.Equal(EnvelopeError.Malformed, error);
    }

    [Fact]
    public async Task RecipientKeyOf_CertificateWithoutPrivateKey_Throws()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RuntimeCertificateAsync(tee);
        using var publicOnly = X509CertificateLoader.LoadCertificate(certificate.RawData);

        Assert.Throws<ArgumentException>(() => KeyReleaseSeal.RecipientKeyOf(publicOnly));
    }

    [Fact]
    public async Task RecipientKeyOf_MatchesCertificatePublicKey()
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RuntimeCertificateAsync(tee);

        using var recipient = KeyReleaseSeal.RecipientKeyOf(certificate);

        Assert.Equal(SpkiOf(certificate), recipient.ExportSubjectPublicKeyInfo());
    }

    /// <summary>A real sealed release with its ephemeral SPKI replaced by <paramref name="spki"/>, opened by the real recipient.</summary>
    private static async Task<EnvelopeError> OpenWithEphemeralSpkiAsync(byte[] spki)
    {
        using var tee = new SimulatedTeeFixture();
        using var certificate = await RuntimeCertificateAsync(tee);
        using var recipient = KeyReleaseSeal.RecipientKeyOf(certificate);
        var sealedRelease = KeyReleaseSeal.Seal(SpkiOf(certificate), Payload, Context);
        var envelope = sealedRelease.AsSpan(2 + BinaryPrimitives.ReadUInt16BigEndian(sealedRelease));
        var tampered = new byte[2 + spki.Length + envelope.Length];
        BinaryPrimitives.WriteUInt16BigEndian(tampered, (ushort)spki.Length);
        spki.CopyTo(tampered, 2);
        envelope.CopyTo(tampered.AsSpan(2 + spki.Length));

        var error = KeyReleaseSeal.TryOpen(recipient, tampered, Context, out var opened);

        Assert.Null(opened);
        return error;
    }
}
