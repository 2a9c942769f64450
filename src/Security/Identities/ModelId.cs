using System.Diagnostics.CodeAnalysis;

namespace Sesemi.Security.Identities;

/// <summary>
/// A model's id, namespaced by its owner: <c>&lt;owner principal id&gt;/&lt;name&gt;</c>. The name is 1–64 characters of
/// <c>[a-z0-9_-]</c> starting with a letter or digit, so an id never carries path separators, dots, quotes or spaces.
/// Only the KeyService mints ids, from the authenticated owner, so no one can claim another owner's name.
/// </summary>
public readonly record struct ModelId
{
    public const int MaxNameLength = 64;

    private ModelId(PrincipalId owner, string name)
    {
        Owner = owner;
        Name = name;
    }

    public PrincipalId Owner { get; }

    public string Name { get; }

    public string Value => $"{Owner.Value}/{Name}";

    public static ModelId Create(PrincipalId owner, string name) =>
        IsValidName(name) ? new ModelId(owner, name) : throw new FormatException($"Not a model name: 1–{MaxNameLength} characters of [a-z0-9_-], starting with a letter or digit.");

    public static bool IsValidName([NotNullWhen(true)] string? name) =>
        name is { Length: > 0 and <= MaxNameLength }
        && (char.IsAsciiLetterLower(name[0]) || char.IsAsciiDigit(name[0]))
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_');

    public static bool TryParse([NotNullWhen(true)] string? text, out ModelId id)
    {
        id = default;
        if (text is null || text.Length < PrincipalId.Length + 2 || text[PrincipalId.Length] != '/')
        {
            return false;
        }

        if (!PrincipalId.TryParse(text[..PrincipalId.Length], out var owner) || !IsValidName(text[(PrincipalId.Length + 1)..]))
        {
            return false;
        }

        id = new ModelId(owner, text[(PrincipalId.Length + 1)..]);
        return true;
    }

    public static ModelId Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException("A model id is '<64 lowercase hex owner id>/<name>'.");

    public override string ToString() => Name is null ? string.Empty : Value;
}
