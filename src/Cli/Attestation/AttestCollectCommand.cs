using System.CommandLine;
using System.Security.Cryptography;
using Sesemi.Hosting.Attestation;
using Sesemi.Security.Attestation;
using Sesemi.Security.RaTls;

namespace Sesemi.Cli.Attestation;

/// <summary>
/// <c>sesemi attest collect</c>: on a real TEE, obtain evidence from the platform (configfs-tsm for TDX and SEV-SNP
/// guests, Gramine's <c>/dev/attestation</c> for SGX enclaves) and save it as an RA-TLS certificate in the
/// interoperable format: a fresh P-256 key, claims binding it (and the nonce) in the evidence's report data.
/// </summary>
internal static class AttestCollectCommand
{
    public static Command Create()
    {
        var tee = new Option<string>("--tee") { Description = "tdx or snp (Linux configfs-tsm), sgx (Gramine /dev/attestation).", Required = true };
        tee.AcceptOnlyFromAmong(HardwareTee.Names);
        var path = new Option<string?>("--path") { Description = $"The provider's directory (default {ConfigFsTsmOptions.DefaultReportPath} or {GramineSgxEvidenceProvider.DefaultPath})." };
        var nonce = new Option<string?>("--nonce") { Description = "A verifier's challenge (hex, at most 256 bytes) bound into the evidence." };
        var output = new Option<FileInfo>("--out") { Description = "Where to write the RA-TLS certificate (PEM; public, no key).", Required = true };
        var command = new Command("collect", "Collect evidence on real TEE hardware into an RA-TLS certificate that 'sesemi attest verify' reads.") { tee, path, nonce, output };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            try
            {
                var challenge = ParseNonce(parse.GetValue(nonce));
                var provider = HardwareTee.CreateProvider(parse.GetValue(tee)!, parse.GetValue(path));
                using var certificate = await RaTlsCertificate.CreateAsync(provider, "attest", TimeProvider.System, challenge, cancellationToken).ConfigureAwait(false);
                var file = parse.GetValue(output)!;
                await File.WriteAllTextAsync(file.FullName, certificate.ExportCertificatePem() + "\n", cancellationToken).ConfigureAwait(false);
                var keyHash = Convert.ToHexStringLower(SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
                await stdout.WriteLineAsync($"{provider.Kind} evidence for key sha256:{keyHash} written to {file.FullName}").ConfigureAwait(false);
                await stdout.WriteLineAsync($"verify it with: sesemi attest verify {file.FullName} --policy <your policy>").ConfigureAwait(false);
                return 0;
            }
            catch (Exception e) when (e is EvidenceUnavailableException or FormatException or IOException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync($"sesemi attest collect: {e.Message}").ConfigureAwait(false);
                return AttestCommands.BadInput;
            }
        });
        return command;
    }

    private static byte[] ParseNonce(string? hex)
    {
        if (hex is null)
        {
            return [];
        }

        var bytes = hex.Length % 2 == 0 && hex.All(char.IsAsciiHexDigit) ? Convert.FromHexString(hex) : throw new FormatException("--nonce: not hex.");
        return bytes.Length is > 0 and <= EvidenceClaims.MaxNonceLength ? bytes : throw new FormatException($"--nonce: 1 to {EvidenceClaims.MaxNonceLength} bytes.");
    }
}
