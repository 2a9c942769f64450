namespace Sesemi.Security.Attestation.Intel.Collateral;

/// <summary>
/// Intel's TCB status names (as in TCB info and enclave identity JSON) and how two statuses combine: a quote is as
/// good as the worse of its platform TCB level, its TDX module level and its quoting enclave's level.
/// </summary>
public static class TcbStatuses
{
    /// <summary>Maps an Intel status string (<c>UpToDate</c>, <c>SWHardeningNeeded</c>, …) to <see cref="TcbStatus"/>; exact, case-sensitive.</summary>
    public static bool TryParse(string? text, out TcbStatus status)
    {
        status = text switch
        {
            "UpToDate" => TcbStatus.UpToDate,
            "SWHardeningNeeded" => TcbStatus.SwHardeningNeeded,
            "ConfigurationNeeded" => TcbStatus.ConfigurationNeeded,
            "ConfigurationAndSWHardeningNeeded" => TcbStatus.ConfigurationAndSwHardeningNeeded,
            "OutOfDate" => TcbStatus.OutOfDate,
            "OutOfDateConfigurationNeeded" => TcbStatus.OutOfDateConfigurationNeeded,
            "Revoked" => TcbStatus.Revoked,
            _ => TcbStatus.Unknown,
        };
        return status != TcbStatus.Unknown;
    }

    /// <summary>Intel's name of <paramref name="status"/> (<c>Unknown</c> for <see cref="TcbStatus.Unknown"/>).</summary>
    public static string ToIntelName(TcbStatus status) => status switch
    {
        TcbStatus.UpToDate => "UpToDate",
        TcbStatus.SwHardeningNeeded => "SWHardeningNeeded",
        TcbStatus.ConfigurationNeeded => "ConfigurationNeeded",
        TcbStatus.ConfigurationAndSwHardeningNeeded => "ConfigurationAndSWHardeningNeeded",
        TcbStatus.OutOfDate => "OutOfDate",
        TcbStatus.OutOfDateConfigurationNeeded => "OutOfDateConfigurationNeeded",
        TcbStatus.Revoked => "Revoked",
        _ => "Unknown",
    };

    /// <summary>
    /// The worse of two statuses in the order UpToDate &lt; SWHardeningNeeded &lt; ConfigurationNeeded &lt;
    /// ConfigurationAndSWHardeningNeeded &lt; OutOfDate &lt; OutOfDateConfigurationNeeded &lt; Revoked, except that
    /// OutOfDate meeting a configuration status gives OutOfDateConfigurationNeeded (as Intel's verifier converges a QE
    /// or TDX module that is out of date with a platform that needs configuration). Unknown wins over everything.
    /// </summary>
    public static TcbStatus Combine(TcbStatus first, TcbStatus second)
    {
        if (first == TcbStatus.Unknown || second == TcbStatus.Unknown)
        {
            return TcbStatus.Unknown;
        }

        var worst = first >= second ? first : second;
        var other = first >= second ? second : first;
        return worst == TcbStatus.OutOfDate && other is TcbStatus.ConfigurationNeeded or TcbStatus.ConfigurationAndSwHardeningNeeded
            ? TcbStatus.OutOfDateConfigurationNeeded
            : worst;
    }
}
