namespace Sesemi.Cli.KeyService;

/// <summary>A failure of the command line itself (bad local files or settings), reported as <c>error &lt;code&gt;: &lt;message&gt;</c>.</summary>
internal sealed class CliException(string code, string message, Exception? innerException = null) : Exception(message, innerException)
{
    public string Code => code;
}

/// <summary>The codes of failures the commands detect before or without asking the KeyService or the runtime.</summary>
internal static class CliErrors
{
    public const string IdentityNotFound = "cli.identity_not_found";
    public const string InvalidIdentity = "cli.invalid_identity";
    public const string PassphraseMissing = "cli.passphrase_missing";
    public const string ProfileNotFound = "cli.profile_not_found";
    public const string InvalidProfile = "cli.invalid_profile";
    public const string KeyFileNotFound = "cli.key_file_not_found";
    public const string InvalidKeyFile = "cli.invalid_key_file";
    public const string FilePermissions = "cli.file_permissions";
    public const string FileExists = "cli.file_exists";
    public const string Io = "cli.io";
    public const string InvalidArgument = "cli.invalid_argument";
    public const string InputNotFound = "cli.input_not_found";
    public const string InvalidInput = "cli.invalid_input";
}
