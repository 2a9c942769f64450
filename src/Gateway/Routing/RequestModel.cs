using System.Text.Json;

namespace Sesemi.Gateway.Routing;

/// <summary>Reads the routing key — the model id — from a runtime request without touching anything else in it.</summary>
public static class RequestModel
{
    /// <summary>The longest model id accepted.</summary>
    public const int MaxLength = 256;

    /// <summary>
    /// The top-level <c>"model"</c> string of a JSON object (the runtime request <c>{"user", "model", "requestId",
    /// "keyService", "input"}</c>); null when the bytes are not a JSON object with a valid model id.
    /// </summary>
    public static string? TryRead(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            string? model = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isModel = reader.ValueTextEquals("model"u8);
                if (!reader.Read())
                {
                    return null;
                }

                if (isModel)
                {
                    if (reader.TokenType != JsonTokenType.String || model is not null)
                    {
                        return null; // not a string, or a second "model": ambiguous
                    }

                    model = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }

            return reader.TokenType == JsonTokenType.EndObject && !reader.Read() && IsValid(model) ? model : null;
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="model"/> is an acceptable routing key: 1 to 256 characters, no control characters.</summary>
    public static bool IsValid(string? model)
    {
        if (string.IsNullOrEmpty(model) || model.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in model)
        {
            if (char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }
}
