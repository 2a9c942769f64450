using Sesemi.Security.Identities;

namespace Sesemi.Runtime.Host.Models;

/// <summary>
/// Sealed models as files: <c>&lt;root&gt;/&lt;owner id&gt;/&lt;name&gt;.sealed</c>. Model ids cannot carry separators,
/// dots or other path tricks (<see cref="ModelId"/>), so every id maps inside the root.
/// </summary>
public sealed class DirectoryModelStore(string root) : IModelStore
{
    public const string Extension = ".sealed";

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>The file of <paramref name="model"/> (which need not exist).</summary>
    public string PathOf(ModelId model) => Path.Combine(Root, model.Owner.Value, model.Name + Extension);

    public ValueTask<Stream?> OpenAsync(ModelId model, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathOf(model);
        if (!File.Exists(path))
        {
            return ValueTask.FromResult<Stream?>(null);
        }

        Stream stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, Options = FileOptions.Asynchronous | FileOptions.SequentialScan });
        return ValueTask.FromResult<Stream?>(stream);
    }

    /// <summary>Writes a sealed model atomically (temporary file, then rename), replacing an older one.</summary>
    public async Task SaveAsync(ModelId model, Stream sealedModel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sealedModel);
        var path = PathOf(model);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await sealedModel.CopyToAsync(file, cancellationToken);
                await file.FlushAsync(cancellationToken);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
