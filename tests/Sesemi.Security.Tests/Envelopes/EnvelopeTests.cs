using Sesemi.Security.Envelopes;
using Sesemi.Security.Keys;

namespace Sesemi.Security.Tests.Envelopes;

public sealed class EnvelopeTests
{
    private static readonly EnvelopeContext Context = EnvelopeContext.For(EnvelopePurposes.Request).With("model", "m1").With("request", "r1");

    [Fact]
    public void Seal_then_Open_RoundTrips()
    {
        using var key = SymmetricKey.Generate();
        var plaintext = "hello"u8.ToArray();

        var opened = Envelope.Open(key, Envelope.Seal(key, plaintext, Context), Context);

        Assert.Equal(plaintext, opened);
    }
}
