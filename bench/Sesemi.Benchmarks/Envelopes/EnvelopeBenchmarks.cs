using BenchmarkDotNet.Attributes;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Keys;

namespace Sesemi.Benchmarks.Envelopes;

/// <summary>
/// Message envelopes (<see cref="Envelope"/>): AES-256-GCM with a fresh random nonce and the request context
/// authenticated as associated data, for 1 KiB, 64 KiB and 1 MiB payloads. <c>Seal</c> allocates the envelope and
/// <c>Open</c> the plaintext, as the client and the trusted core do. The <c>MB/s</c> column is payload bytes per second.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class EnvelopeBenchmarks
{
    private readonly EnvelopeContext _context = Fixtures.RequestContext("bench-request");
    private SymmetricKey _key = null!;
    private byte[] _plaintext = [];
    private byte[] _sealed = [];

    [Params(1024, 64 * 1024, 1024 * 1024)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _key = SymmetricKey.Generate();
        _plaintext = new byte[Bytes];
        for (var i = 0; i < _plaintext.Length; i++)
        {
            _plaintext[i] = (byte)i;
        }

        _sealed = Envelope.Seal(_key, _plaintext, _context);
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    [Benchmark]
    public byte[] Seal() => Envelope.Seal(_key, _plaintext, _context);

    [Benchmark]
    public byte[] Open() => Envelope.Open(_key, _sealed, _context);
}
