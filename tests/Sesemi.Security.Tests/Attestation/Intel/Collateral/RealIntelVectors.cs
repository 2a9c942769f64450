using System.Buffers.Binary;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sesemi.Security.Attestation;
using Sesemi.Security.Attestation.Intel;
using Sesemi.TestUtilities;

namespace Sesemi.Security.Tests.Attestation.Intel.Collateral;

/// <summary>
/// Reads the real SGX and TDX quotes under ../shared/testdata/attestation just far enough to build the
/// <see cref="IntelTcbInput"/> the quote verifier would hand over (QE report fields at fixed offsets, PCK chain from
/// the PEM certification data, PCK extension values from the testdata README).
/// </summary>
internal static class RealIntelVectors
{
    public const string SgxQuote = "attestation/sgx-quote-v3-oe-evidence.bin";
    public const string SgxEndorsements = "attestation/sgx-collateral-oe-endorsements.bin";
    public const string TdxQuote = "attestation/tdx-quote-v4.bin";
    public const string TdxTcbInfo = "attestation/tdx-tcbinfo-v3.json";

    /// <summary>Both OE files start with an 81-byte licence comment.</summary>
    public const int OeCommentBytes = 81;

    public static byte[]? Read(string relative) => SharedTestData.Find(relative) is { } path ? File.ReadAllBytes(path) : null;

    public static IntelTcbInput SgxInput(byte[] file)
    {
        var quote = file.AsSpan(OeCommentBytes);
        var qeReport = quote.Slice(48 + 384 + 4 + 64 + 64, 384);
        var (ca, root, serial) = PckChain(quote);
        return new IntelTcbInput(
            TeeKind.SgxDcap,
            "00906ed50000",
            "0000",
            new byte[] { 17, 17, 2, 4, 1, 128, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
            11,
            ReadOnlyMemory<byte>.Empty,
            qeReport.Slice(128, 32).ToArray(),
            BinaryPrimitives.ReadUInt16LittleEndian(qeReport[256..]),
            BinaryPrimitives.ReadUInt16LittleEndian(qeReport[258..]),
            BinaryPrimitives.ReadUInt32LittleEndian(qeReport[16..]),
            qeReport.Slice(48, 16).ToArray(),
            false,
            serial,
            [ca, root]);
    }

    public static IntelTcbInput TdxInput(byte[] quote)
    {
        var qeReport = quote.AsSpan(48 + 584 + 4 + 64 + 64 + 2 + 4, 384);
        var (ca, root, serial) = PckChain(quote);
        return new IntelTcbInput(
            TeeKind.Tdx,
            "50806f000000",
            "0000",
            new byte[] { 5, 5, 13, 2, 3, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0 },
            11,
            quote.AsMemory(48, 16).ToArray(),
            qeReport.Slice(128, 32).ToArray(),
            BinaryPrimitives.ReadUInt16LittleEndian(qeReport[256..]),
            BinaryPrimitives.ReadUInt16LittleEndian(qeReport[258..]),
            BinaryPrimitives.ReadUInt32LittleEndian(qeReport[16..]),
            qeReport.Slice(48, 16).ToArray(),
            true,
            serial,
            [ca, root]);
    }

    private static (byte[] Ca, byte[] Root, byte[] Serial) PckChain(ReadOnlySpan<byte> quote)
    {
        var start = quote.IndexOf("-----BEGIN CERTIFICATE-----"u8);
        var pem = Encoding.ASCII.GetString(quote[start..]).TrimEnd('\0');
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(pem);
        try
        {
            Assert.Equal(3, chain.Count);
            return (chain[1].RawData, chain[2].RawData, chain[0].SerialNumberBytes.ToArray());
        }
        finally
        {
            foreach (var certificate in chain)
            {
                certificate.Dispose();
            }
        }
    }
}
