using Sesemi.Security.Attestation.Intel.Collateral;

namespace Sesemi.Cli.Attestation;

/// <summary>Intel collateral from <c>--collateral</c> files and the signer chains among <c>--certs</c>.</summary>
internal static class IntelCollateralFiles
{
    public static IntelCollateral Build(IReadOnlyList<ReadOnlyMemory<byte>> pieces, IReadOnlyList<ReadOnlyMemory<byte>> certificates)
    {
        var builder = IntelCollateral.CreateBuilder();
        foreach (var piece in pieces)
        {
            var added = builder.Add(piece);
            if (!added.IsValid)
            {
                throw new InvalidDataException($"--collateral: {added.Detail}");
            }
        }

        foreach (var certificate in certificates)
        {
            // Certificates the collateral does not need (an SEV-SNP VCEK, say) are harmless here.
            _ = builder.Add(certificate);
        }

        return builder.Build();
    }
}
