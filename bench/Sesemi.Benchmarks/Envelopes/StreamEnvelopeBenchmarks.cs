using BenchmarkDotNet.Attributes;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Keys;

namespace Sesemi.Benchmarks.Envelopes;

/// <summary>
/// Stream envelopes (<see cref="StreamEnvelope"/>, 1 MiB chunks, an HKDF-derived chunk key per stream) sealing and
/// opening a 16 MiB model between memory streams, so the time is the cryptography and the chunk loop, not I/O. The
/// destination streams are allocated once and rewound; the <c>MB/s</c> column is plaintext bytes per second.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class StreamEnvelopeBenchmarks
{
    private readonly EnvelopeContext _context = InferenceContexts.Model(Fixtures.Model);
    private SymmetricKey _key = null!;
    private MemoryStream _plaintext = null!;
    private MemoryStream _sealed = null!;
    private MemoryStream _destination = null!;

    [Params(16 * 1024 * 1024)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _key = SymmetricKey.Generate();
        var model = new byte[Bytes];
        for (var i = 0; i < model.Length; i++)
        {
            model[i] = (byte)(i * 31);
        }

        _plaintext = new MemoryStream(model, writable: false);
        var sealedBytes = new MemoryStream((int)StreamEnvelope.SealedLength(Bytes));
        await StreamEnvelope.SealAsync(_key, _plaintext, Bytes, sealedBytes, _context);
        _sealed = new MemoryStream(sealedBytes.ToArray(), writable: false);
        _destination = new MemoryStream((int)StreamEnvelope.SealedLength(Bytes));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _key.Dispose();
        _plaintext.Dispose();
        _sealed.Dispose();
        _destination.Dispose();
    }

    [Benchmark]
    public async Task<long> SealStream()
    {
        _plaintext.Position = 0;
        _destination.SetLength(0);
        await StreamEnvelope.SealAsync(_key, _plaintext, Bytes, _destination, _context);
        return _destination.Length;
    }

    [Benchmark]
    public async Task<long> OpenStream()
    {
        _sealed.Position = 0;
        _destination.SetLength(0);
        return await StreamEnvelope.OpenAsync(_key, _sealed, _destination, _context);
    }
}
