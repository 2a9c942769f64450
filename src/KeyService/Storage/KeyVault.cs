using System.Globalization;
using Sesemi.Security.Envelopes;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;

namespace Sesemi.KeyService.Storage;

/// <summary>
/// Seals key material at rest under the storage key. Each sealed key is bound to its slot (model or
/// user/model/measurement) and version, so a row copied into another slot does not open.
/// </summary>
internal sealed class KeyVault(SymmetricKey storageKey)
{
    private const string SlotField = "slot";
    private const string VersionField = "version";
    private const string MeasurementField = "measurement";

    public SealedKey SealModelKey(ModelId model, int version, ReadOnlySpan<byte> key) => Seal(ModelContext(model, version), version, key);

    public SealedKey SealRequestKey(RequestKeySlot slot, int version, ReadOnlySpan<byte> key) => Seal(RequestContext(slot, version), version, key);

    public SymmetricKey OpenModelKey(ModelId model, SealedKey sealedKey) => Open(ModelContext(model, sealedKey.Version), sealedKey);

    public SymmetricKey OpenRequestKey(RequestKeySlot slot, SealedKey sealedKey) => Open(RequestContext(slot, sealedKey.Version), sealedKey);

    private SealedKey Seal(EnvelopeContext context, int version, ReadOnlySpan<byte> key)
    {
        using var imported = SymmetricKey.Import(key);
        return new SealedKey(version, imported.Id.ToString(), Envelope.Seal(storageKey, key, context));
    }

    private SymmetricKey Open(EnvelopeContext context, SealedKey sealedKey)
    {
        var buffer = new byte[SymmetricKey.SizeInBytes];
        try
        {
            var error = Envelope.TryOpen(storageKey, sealedKey.Sealed, context, buffer, out var written);
            if (error != EnvelopeError.None || written != SymmetricKey.SizeInBytes)
            {
                throw new EnvelopeException(error == EnvelopeError.None ? EnvelopeError.Malformed : error);
            }

            return SymmetricKey.Import(buffer);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(buffer);
        }
    }

    private static EnvelopeContext ModelContext(ModelId model, int version) =>
        EnvelopeContext.For(EnvelopePurposes.Storage)
            .With(SlotField, "model-key")
            .With(EnvelopePurposes.ModelIdField, model.Value)
            .With(VersionField, version.ToString(CultureInfo.InvariantCulture));

    private static EnvelopeContext RequestContext(RequestKeySlot slot, int version) =>
        EnvelopeContext.For(EnvelopePurposes.Storage)
            .With(SlotField, "request-key")
            .With(EnvelopePurposes.UserIdField, slot.User.Value)
            .With(EnvelopePurposes.ModelIdField, slot.Model.Value)
            .With(MeasurementField, slot.Measurement.ToString())
            .With(VersionField, version.ToString(CultureInfo.InvariantCulture));
}
