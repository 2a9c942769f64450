namespace Sesemi.KeyService.Storage;

/// <summary>
/// The store's contents failed an integrity check: a row whose MAC does not verify, a revoked grant or a retired key
/// version brought back, an audit log rolled back or rewritten. The store fails closed: the operation that found it
/// changes nothing and releases nothing. The message names the table and the ids of the row, never key material.
/// </summary>
internal sealed class StoreIntegrityException : Exception
{
    public StoreIntegrityException()
        : base("The KeyService store failed an integrity check.")
    {
    }

    public StoreIntegrityException(string message)
        : base(message)
    {
    }

    public StoreIntegrityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
