using System.CommandLine;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sesemi.Cli.KeyService;
using Sesemi.Cli.Runtime;
using Sesemi.Client.Inference;
using Sesemi.Contracts.Runtime;
using Sesemi.Runtime.Host.Models;
using Sesemi.Security.Identities;
using Sesemi.Security.Keys;

namespace Sesemi.Cli.Inference;

/// <summary>What the inference commands depend on, replaceable in tests.</summary>
internal sealed class InferenceCliServices
{
    public static InferenceCliServices Default { get; } = new();

    /// <summary>Time, environment and the KeyService profile and identity loading of the KeyService commands.</summary>
    public KeyServiceCliServices KeyService { get; init; } = KeyServiceCliServices.Default;

    /// <summary>Opens a client of a runtime; by default <see cref="InferenceClient.Create(Uri, TimeProvider, TimeSpan)"/>.</summary>
    public Func<Uri, TimeProvider, TimeSpan, InferenceClient> OpenRuntime { get; init; } = InferenceClient.Create;
}

/// <summary>The <c>--json</c> output of <c>sesemi model seal</c>: where the sealed model went and under which key (never the key).</summary>
internal sealed record ModelSealOutput(string Model, string Path, long PlaintextBytes, long SealedBytes, string KeyId);

/// <summary>JSON of the inference commands' own outputs.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ModelSealOutput))]
internal sealed partial class InferenceCliJsonContext : JsonSerializerContext;

/// <summary>
/// <c>sesemi model seal</c> (an owner seals a plaintext ONNX model into a runtime's model store) and <c>sesemi infer</c>
/// (a user runs a model on a runtime: inputs sealed here, outputs opened here).
/// </summary>
internal static class InferenceCommands
{
    /// <summary>Adds <c>infer</c> to <paramref name="root"/> and <c>seal</c> to its <c>model</c> command (added when missing).</summary>
    public static void AddTo(Command root, InferenceCliServices? services = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        services ??= InferenceCliServices.Default;
        var model = root.Subcommands.FirstOrDefault(c => c.Name == "model");
        if (model is null)
        {
            model = new Command("model", "Register your models, manage their keys and seal them.");
            root.Subcommands.Add(model);
        }

        model.Subcommands.Add(CreateSeal());
        root.Subcommands.Add(CreateInfer(services));
    }

    public static Command CreateSeal()
    {
        var model = Arguments.ModelOption();
        var keyFile = Arguments.KeyFileOption();
        keyFile.Description = "The model key file (from sesemi key generate; the version uploaded with sesemi model key add).";
        var input = new Option<FileInfo>("--in") { Description = "The plaintext ONNX model.", HelpName = "FILE", Required = true };
        var store = new Option<DirectoryInfo>("--store")
        {
            Description = $"The runtime's model directory (default: {RuntimeCommands.DefaultModels}); writes <owner>/<name>{DirectoryModelStore.Extension}.",
            HelpName = "DIR",
            DefaultValueFactory = _ => new DirectoryInfo(RuntimeCommands.DefaultModels),
        };
        var json = ConnectionOptions.JsonOption();
        var command = new Command("seal", "Seal a plaintext ONNX model under a model key into a model store (the model never leaves this machine in plaintext).")
        {
            model, keyFile, input, store, json,
        };
        command.SetLocalAction(json, async (parse, output, cancellationToken) =>
        {
            var id = ModelId.Parse(parse.GetRequiredValue(model));
            var source = parse.GetRequiredValue(input);
            if (!source.Exists)
            {
                throw new CliException(CliErrors.InputNotFound, $"no model file at '{source.FullName}'");
            }

            using var key = ClientFactory.LoadKey(parse.GetRequiredValue(keyFile));
            var models = new DirectoryModelStore(parse.GetRequiredValue(store).FullName);
            await using (var plaintext = new FileStream(source.FullName, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, Options = FileOptions.Asynchronous | FileOptions.SequentialScan }))
            {
                await SealIntoAsync(models, id, key, plaintext, cancellationToken);
            }

            var path = models.PathOf(id);
            var result = new ModelSealOutput(id.Value, path, source.Length, new FileInfo(path).Length, key.Id.ToString());
            if (output.IsJson)
            {
                output.Json(result, InferenceCliJsonContext.Default.ModelSealOutput);
            }
            else
            {
                output.Line($"sealed {Output.Text(source.FullName)} as {Output.Text(id.Value)} into {Output.Text(path)} ({result.SealedBytes} bytes, key id {Output.Text(result.KeyId)})");
            }

            return 0;
        });
        return command;
    }

    public static Command CreateInfer(InferenceCliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var connection = new ConnectionOptions(services.KeyService.GetEnvironmentVariable);
        connection.Profile.Description = "The connection profile (connection.json) of the KeyService the runtime gets your keys from (default: "
            + $"${ConnectionOptions.KeyServiceVariable}, else {ConnectionOptions.DefaultProfilePath}).";
        connection.Identity.Description = $"Your identity's key file: the request is made as its principal (default: ${ConnectionOptions.IdentityVariable}, else {ConnectionOptions.DefaultIdentityPath}).";
        var runtime = RuntimeOption();
        var model = Arguments.ModelOption();
        var keyFile = Arguments.KeyFileOption();
        keyFile.Description = "Your request key file (the version uploaded with sesemi request-key add for this model and the runtime's measurement).";
        var input = new Option<FileInfo>("--input")
        {
            Description = "The input tensors as JSON: {\"name\": {\"type\": \"float32\", \"shape\": [1, 3], \"data\": [ … ]}, …}.",
            HelpName = "FILE",
            Required = true,
        };
        var requestId = new Option<string?>("--request-id") { Description = "The request id (default: 128 random bits in hex).", HelpName = "ID" };
        requestId.Validators.Add(result =>
        {
            if (!InferenceClient.IsValidRequestId(result.GetValueOrDefault<string?>()))
            {
                result.AddError($"--request-id must have 1-{InferenceClient.MaxRequestIdLength} characters and no control characters");
            }
        });
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the answer.", HelpName = "SECONDS", DefaultValueFactory = _ => (int)InferenceClient.DefaultTimeout.TotalSeconds };
        timeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() <= 0)
            {
                result.AddError("--timeout must be a positive number of seconds");
            }
        });
        var command = new Command("infer", "Run a model on a runtime: the inputs are sealed here under your request key and the outputs opened here.")
        {
            runtime, model, keyFile, input, requestId, timeout,
        };
        connection.AddTo(command);
        command.SetLocalAction(connection.Json, async (parse, output, cancellationToken) =>
        {
            var settings = connection.Read(parse);
            var inputs = TensorJson.Read(ReadInput(parse.GetRequiredValue(input)));
            var profile = ClientFactory.LoadProfile(settings.Profile);
            PrincipalId user;
            using (var identity = ClientFactory.LoadIdentity(settings, services.KeyService))
            {
                user = identity.Id;
            }

            try
            {
                using var key = ClientFactory.LoadKey(parse.GetRequiredValue(keyFile));
                using var client = services.OpenRuntime(new Uri(parse.GetRequiredValue(runtime)), services.KeyService.Time, TimeSpan.FromSeconds(parse.GetValue(timeout)));
                using var result = await client.InferAsync(user, key, ModelId.Parse(parse.GetRequiredValue(model)), new Uri(profile.Url), inputs, parse.GetValue(requestId), cancellationToken);
                if (output.IsJson)
                {
                    output.Line(ResultJson(result, indented: false));
                }
                else
                {
                    output.Line(OutputsJson(result));
                    output.Note(Summary(result));
                }

                return 0;
            }
            finally
            {
                // The parsed inputs are plaintext: zero them once they are sealed and sent.
                foreach (var tensor in inputs)
                {
                    if (MemoryMarshal.TryGetArray(tensor.Data, out var segment))
                    {
                        CryptographicOperations.ZeroMemory(segment.AsSpan());
                    }
                }
            }
        });
        return command;
    }

    /// <summary>
    /// Streams the sealed model into the store while it is being sealed (one chunk in memory, no plaintext on disk);
    /// a sealing failure reaches the store's reader, so no partial model is ever renamed into place.
    /// </summary>
    private static async Task SealIntoAsync(DirectoryModelStore models, ModelId id, SymmetricKey key, Stream plaintext, CancellationToken cancellationToken)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 * 1024 * 1024, resumeWriterThreshold: 2 * 1024 * 1024, useSynchronizationContext: false));
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sealing = Task.Run(
            async () =>
            {
                try
                {
                    await using (var sink = pipe.Writer.AsStream(leaveOpen: true))
                    {
                        await ModelSealer.SealAsync(key, id, plaintext, plaintext.Length, sink, failed.Token);
                    }

                    await pipe.Writer.CompleteAsync();
                }
                catch (Exception e)
                {
                    await pipe.Writer.CompleteAsync(e);
                    throw;
                }
            },
            CancellationToken.None);
        try
        {
            await using var source = pipe.Reader.AsStream();
            await models.SaveAsync(id, source, cancellationToken);
        }
        catch
        {
            await failed.CancelAsync();
            await Task.WhenAny(sealing);
            throw;
        }

        await sealing;
    }

    private static Option<string> RuntimeOption()
    {
        var option = new Option<string>("--runtime") { Description = "The runtime's address, e.g. http://127.0.0.1:8080 (requests go to its /run).", HelpName = "URL", Required = true };
        option.Validators.Add(result =>
        {
            if (!Uri.TryCreate(result.GetValueOrDefault<string>(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                result.AddError("--runtime must be an http or https URL, e.g. http://127.0.0.1:8080");
            }
        });
        return option;
    }

    private static byte[] ReadInput(FileInfo file)
    {
        try
        {
            return File.ReadAllBytes(file.FullName);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CliException(CliErrors.InputNotFound, $"no input file at '{file.FullName}'", e);
        }
    }

    /// <summary>The outputs in the input format, indented, so they can be saved and read back.</summary>
    internal static string OutputsJson(InferenceResult result)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            TensorJson.Write(writer, result.Outputs);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary><c>{"requestId", "outputs": {…}, "timing": {…}, "roundTripMs"}</c>.</summary>
    internal static string ResultJson(InferenceResult result, bool indented)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            writer.WriteStartObject();
            writer.WriteString("requestId", result.RequestId);
            writer.WritePropertyName("outputs");
            TensorJson.Write(writer, result.Outputs);
            writer.WritePropertyName("timing");
            JsonSerializer.Serialize(writer, result.Timing, RuntimeJsonContext.Default.InferenceTimingBody);
            writer.WriteNumber("roundTripMs", Math.Round(result.RoundTrip.TotalMilliseconds, 3));
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string Summary(InferenceResult result)
    {
        var t = result.Timing;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"request {Output.Text(result.RequestId)}: keys {(t.ColdKeys ? "cold" : "warm")}, model {(t.ColdModel ? "cold" : "warm")}; runtime {t.TotalMs:0.0} ms (inference {t.InferenceMs:0.0} ms), round trip {result.RoundTrip.TotalMilliseconds:0.0} ms");
    }
}
