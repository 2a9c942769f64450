using System.Globalization;
using Microsoft.AspNetCore.Http;
using Sesemi.Contracts.KeyService;
using Sesemi.KeyService.Apis;
using Sesemi.KeyService.Peers;
using Sesemi.KeyService.Storage;
using Sesemi.Security.Audit;

namespace Sesemi.KeyService.Models;

/// <summary>An owner reads the audit entries of a model, page by page, with their chain hashes.</summary>
internal sealed class AuditOperations(IKeyServiceStore store, ModelAccess access)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public async Task<ApiResult<AuditPage>> ReadAsync(Caller caller, IQueryCollection query, CancellationToken cancellationToken)
    {
        if (!TryReadLong(query, "after", 0, out var after) || after < 0)
        {
            return new ApiError(KeyServiceErrors.InvalidQuery, "after must be a non-negative integer");
        }

        if (!TryReadLong(query, "limit", DefaultLimit, out var limit) || limit is < 1 or > MaxLimit)
        {
            return new ApiError(KeyServiceErrors.InvalidQuery, $"limit must be between 1 and {MaxLimit}");
        }

        var (model, denied) = await access.RequireOwnedAsync(caller, query["model"], cancellationToken);
        if (denied is { } error)
        {
            return error;
        }

        var entries = await store.ReadAuditAsync(model, after, (int)limit, cancellationToken);
        long? next = entries.Count == limit ? entries[^1].Record.Sequence : null;
        return ApiResult<AuditPage>.Ok(new AuditPage([.. entries.Select(ToEntry)], next));
    }

    internal static AuditEntry ToEntry(ChainedAuditRecord chained)
    {
        var r = chained.Record;
        return new AuditEntry(
            r.Sequence, r.At, r.Actor, r.Action, r.Model, r.User, r.Measurement, r.Version, r.Detail,
            Convert.ToHexStringLower(chained.PreviousHash.Span), Convert.ToHexStringLower(chained.Hash.Span));
    }

    private static bool TryReadLong(IQueryCollection query, string name, long fallback, out long value)
    {
        var values = query[name];
        if (values.Count == 0)
        {
            value = fallback;
            return true;
        }

        value = 0;
        return values.Count == 1 && values[0] is { Length: <= 19 } text && text.All(char.IsAsciiDigit)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
