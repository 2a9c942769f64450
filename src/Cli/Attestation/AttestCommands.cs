using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sesemi.Security.Attestation;
using Sesemi.Security.RaTls;
using Spectre.Console;

namespace Sesemi.Cli.Attestation;

/// <summary>
/// <c>sesemi attest verify</c>: verify real TEE evidence offline (pinned roots, collateral passed in) under an owner's
/// policy; <c>sesemi attest collect</c>: produce evidence on real hardware as an RA-TLS certificate.
/// </summary>
internal static class AttestCommands
{
    public const int Accepted = 0;
    public const int Rejected = 1;
    public const int BadInput = 2;

    public static Command Create()
    {
        var command = new Command("attest", "Verify SGX, TDX and SEV-SNP evidence offline, and collect evidence on real hardware.");
        command.Subcommands.Add(CreateVerify());
        command.Subcommands.Add(AttestCollectCommand.Create());
        return command;
    }

    private static Command CreateVerify()
    {
        var evidence = new Argument<string>("evidence")
        {
            Description = "An SGX or TDX quote, an SEV-SNP report, a configfs-tsm capture (JSON or the report directory) or an RA-TLS certificate (PEM or DER).",
        };
        var policy = new Option<FileInfo?>("--policy") { Description = "The owner's policy file (JSON, see docs/attestation.md). Default: production — no debug, no simulation, TCB UpToDate, any measurement." };
        var certs = new Option<FileInfo[]>("--certs")
        {
            Description = "Certificate files (PEM bundles or DER): an SEV-SNP VCEK and ASK/ARK, or Intel collateral signer chains.",
            AllowMultipleArgumentsPerToken = true,
        };
        var collateral = new Option<FileInfo[]>("--collateral")
        {
            Description = "Intel collateral: an endorsements bundle, TCB info JSON, QE identity JSON or CRLs (DER/PEM).",
            AllowMultipleArgumentsPerToken = true,
        };
        var at = new Option<string?>("--at") { Description = "Verify as of this time (ISO 8601, e.g. 2024-01-01T00:00:00Z) instead of now." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var command = new Command("verify", "Detect the evidence format, verify it to pinned roots, print every claim and check, and the verdict (exit 0 accepted, 1 rejected, 2 unreadable input).")
        {
            evidence, policy, certs, collateral, at, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            try
            {
                var request = new VerifyRequest(
                    parse.GetValue(evidence)!,
                    parse.GetValue(policy)?.FullName,
                    parse.GetValue(certs)?.Select(f => f.FullName).ToList() ?? [],
                    parse.GetValue(collateral)?.Select(f => f.FullName).ToList() ?? [],
                    ParseTime(parse.GetValue(at)));
                var (input, policyName, inspection, verifiedAt) = await VerifyAsync(request, cancellationToken).ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    AttestationReportView.WriteJson(output, request.Evidence, input.Format, policyName, verifiedAt, inspection);
                }
                else
                {
                    var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No });
                    if (!ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected)
                    {
                        // Redirected output has no width; hex claims read best unwrapped.
                        console.Profile.Width = 200;
                    }

                    AttestationReportView.Write(console, request.Evidence, input.Format, policyName, verifiedAt, inspection);
                }

                return AttestationReportView.Failed(inspection).Count == 0 ? Accepted : Rejected;
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or CryptographicException or IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"sesemi attest verify: {e.Message}").ConfigureAwait(false);
                return BadInput;
            }
        });
        return command;
    }

    internal sealed record VerifyRequest(string Evidence, string? PolicyFile, IReadOnlyList<string> CertificateFiles, IReadOnlyList<string> CollateralFiles, DateTimeOffset? At);

    internal static async Task<(EvidenceInput Input, string PolicyName, EvidenceInspection Inspection, DateTimeOffset At)> VerifyAsync(VerifyRequest request, CancellationToken cancellationToken)
    {
        var at = request.At ?? TimeProvider.System.GetUtcNow();
        var (policy, policyName) = request.PolicyFile is null
            ? (AttestationPolicyFile.Production, "production default (no debug, no simulation, TCB UpToDate, any measurement)")
            : (AttestationPolicyFile.Parse(await BoundedFile.ReadAsync(request.PolicyFile, AttestationPolicyFile.MaxSize, cancellationToken).ConfigureAwait(false)), request.PolicyFile);
        var certificates = await CertificateFiles.ReadAsync(request.CertificateFiles, cancellationToken).ConfigureAwait(false);
        var collateralPieces = new List<ReadOnlyMemory<byte>>();
        foreach (var file in request.CollateralFiles)
        {
            collateralPieces.Add(await BoundedFile.ReadAsync(file, EvidenceInput.MaxFileSize, cancellationToken).ConfigureAwait(false));
        }

        var intelCollateral = collateralPieces.Count == 0 ? null : IntelCollateralFiles.Build(collateralPieces, certificates);
        var verifier = new EvidenceVerifier(HardwareVerifiers.Create(intelCollateral), new FixedTimeProvider(at));
        var input = await EvidenceInput.ReadAsync(request.Evidence, certificates, cancellationToken).ConfigureAwait(false);
        EvidenceInspection inspection;
        if (input.Certificate is { } certificate)
        {
            using (certificate)
            {
                inspection = new RaTlsVerifier(verifier, acceptGramineLegacy: true).Appraise(certificate, policy, at, certificates);
            }
        }
        else
        {
            inspection = verifier.Appraise(input.Evidence!, policy, at, rawEvidence: true);
        }

        return (input, policyName, inspection, at);
    }

    private static DateTimeOffset? ParseTime(string? text) =>
        text is null ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time
        : throw new FormatException($"--at '{text}' is not a time; use ISO 8601, e.g. 2024-01-01T00:00:00Z.");

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

/// <summary>Certificates from files: PEM bundles or single DER certificates, returned as DER.</summary>
internal static class CertificateFiles
{
    public static async Task<IReadOnlyList<ReadOnlyMemory<byte>>> ReadAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        var certificates = new List<ReadOnlyMemory<byte>>();
        foreach (var path in paths)
        {
            var bytes = await BoundedFile.ReadAsync(path, EvidenceInput.MaxFileSize, cancellationToken).ConfigureAwait(false);
            certificates.AddRange(Parse(bytes, path));
        }

        return certificates;
    }

    public static IReadOnlyList<ReadOnlyMemory<byte>> Parse(byte[] bytes, string name)
    {
        try
        {
            if (bytes.AsSpan().IndexOf("-----BEGIN CERTIFICATE"u8) >= 0)
            {
                var collection = new X509Certificate2Collection();
                collection.ImportFromPem(System.Text.Encoding.ASCII.GetString(bytes));
                var ders = collection.Select(c => (ReadOnlyMemory<byte>)c.RawData).ToList();
                foreach (var certificate in collection)
                {
                    certificate.Dispose();
                }

                return ders;
            }

            using var single = X509CertificateLoader.LoadCertificate(bytes);
            return [single.RawData];
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"{name}: not a certificate (PEM or DER): {e.Message}", e);
        }
    }
}
