using Sesemi.Platform.Local.Images;

namespace Sesemi.Platform.Local.Tests.Images;

/// <summary>How function images map to local runtimes: exact <c>name:tag</c> first, then the name with any tag.</summary>
public sealed class ImageCatalogTests
{
    private static readonly LocalImage Any = new() { FileName = "any" };
    private static readonly LocalImage Pinned = new() { FileName = "pinned" };
    private static readonly LocalImage Registry = new() { FileName = "registry" };

    private static readonly ImageCatalog Catalog = new(new Dictionary<string, LocalImage>
    {
        ["sesemi/runtime"] = Any,
        ["sesemi/runtime:0.1"] = Pinned,
        ["localhost:5000/sesemi/runtime"] = Registry,
    });

    [Theory]
    [InlineData("sesemi/runtime:0.1", "pinned")]
    [InlineData("sesemi/runtime:0.2", "any")]
    [InlineData("sesemi/runtime", "any")]
    [InlineData("sesemi/runtime:latest", "any")]
    [InlineData("sesemi/runtime@sha256:abcd", "any")]
    [InlineData("localhost:5000/sesemi/runtime:7", "registry")]
    [InlineData("localhost:5000/sesemi/runtime", "registry")]
    public void Find_ExactFirst_ThenTheRepositoryWithAnyTag(string image, string fileName) =>
        Assert.Equal(fileName, Catalog.Find(image)!.FileName);

    [Theory]
    [InlineData("sesemi/other:0.1")]
    [InlineData("runtime")]
    [InlineData("localhost:5001/sesemi/runtime")]
    public void Find_Unknown_IsNull(string image) => Assert.Null(Catalog.Find(image));

    [Fact]
    public void Unknown_NamesTheKnownImages()
    {
        Assert.Equal(
            "The image 'x' is not known to the local platform; it runs 'localhost:5000/sesemi/runtime', 'sesemi/runtime', 'sesemi/runtime:0.1' (any tag of each).",
            Catalog.Unknown("x"));
        Assert.Equal("The image 'x' is not known to the local platform, which has no images registered.", new ImageCatalog([]).Unknown("x"));
    }

    [Theory]
    [InlineData("a/b:c", "a/b")]
    [InlineData("a/b", "a/b")]
    [InlineData("host:1/a/b", "host:1/a/b")]
    [InlineData("host:1/a/b:t@sha256:00", "host:1/a/b")]
    public void Repository_StripsTagAndDigest(string image, string repository) => Assert.Equal(repository, ImageCatalog.Repository(image));
}
