using System.Collections.Frozen;

namespace Sesemi.Platform.Local.Images;

/// <summary>
/// The images a local platform can run. A function's image is looked up as written (<c>name:tag</c> or
/// <c>name@digest</c>), then by its repository name alone, so <c>sesemi/runtime</c> serves every tag of it.
/// </summary>
internal sealed class ImageCatalog
{
    private readonly FrozenDictionary<string, LocalImage> _images;

    public ImageCatalog(IEnumerable<KeyValuePair<string, LocalImage>> images)
    {
        _images = images.ToFrozenDictionary(StringComparer.Ordinal);
        Names = [.. _images.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>The registered names, sorted.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The local runtime of <paramref name="image"/>, or null when none is registered for it.</summary>
    public LocalImage? Find(string image) =>
        _images.GetValueOrDefault(image) ?? _images.GetValueOrDefault(Repository(image));

    /// <summary>Why <paramref name="image"/> cannot be deployed, naming what can be.</summary>
    public string Unknown(string image) => Names.Count == 0
        ? $"The image '{image}' is not known to the local platform, which has no images registered."
        : $"The image '{image}' is not known to the local platform; it runs {string.Join(", ", Names.Select(name => $"'{name}'"))} (any tag of each).";

    /// <summary>
    /// The repository part of an image reference: without <c>@digest</c>, and without a <c>:tag</c> after the last
    /// <c>/</c> (a colon before it belongs to a registry's port, as in <c>localhost:5000/sesemi/runtime</c>).
    /// </summary>
    public static string Repository(string image)
    {
        var at = image.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            image = image[..at];
        }

        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? image[..colon] : image;
    }
}
