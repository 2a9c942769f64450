namespace Sesemi.KeyService.Tests;

public sealed class KeyServiceOptionsTests
{
    private const string Pin = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void Defaults_AreValid()
    {
        var options = new KeyServiceOptions();

        options.Validate();

        Assert.Equal(".sesemi/keyservice", options.DataDirectory);
        Assert.Equal("127.0.0.1", options.ListenAddress);
        Assert.Equal(7443, options.Port);
        Assert.Equal(64 * 1024, options.MaxRequestBodyBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), options.LeaseDuration);
        Assert.False(options.AcceptSimulatedRuntimes);
        Assert.Empty(options.SimulatedRootPins);
        Assert.Equal(100_000, options.MaxLeases);
    }

    public static TheoryData<string> ValidVariants => [.. Valid().Keys];

    private static Dictionary<string, KeyServiceOptions> Valid() => new(StringComparer.Ordinal)
    {
        ["ipv6 loopback"] = new() { ListenAddress = "::1" },
        ["any address"] = new() { ListenAddress = "0.0.0.0" },
        ["port 0 picks a free one"] = new() { Port = 0 },
        ["port 65535"] = new() { Port = 65535 },
        ["body 1 KiB"] = new() { MaxRequestBodyBytes = 1024 },
        ["body 16 MiB"] = new() { MaxRequestBodyBytes = 16 * 1024 * 1024 },
        ["lease 1 s"] = new() { LeaseDuration = TimeSpan.FromSeconds(1) },
        ["lease 24 h"] = new() { LeaseDuration = TimeSpan.FromHours(24) },
        ["one lease"] = new() { MaxLeases = 1 },
        ["simulated with a pin"] = new() { AcceptSimulatedRuntimes = true, SimulatedRootPins = [Pin] },
        ["public url"] = new() { ListenAddress = "0.0.0.0", PublicUrl = new Uri("https://keys.example.net:7443/") },
    };

    [Theory]
    [MemberData(nameof(ValidVariants))]
    public void Validate_SettingAtItsLimit_IsValid(string variant)
    {
        Valid()[variant].Validate();
    }

    public static TheoryData<string, string> InvalidVariants =>
    [
        .. Invalid().Select(p => (p.Key, p.Value.Expected)),
    ];

    private static Dictionary<string, (KeyServiceOptions Options, string Expected)> Invalid() => new(StringComparer.Ordinal)
    {
        ["empty data directory"] = (new() { DataDirectory = string.Empty }, "the data directory is required"),
        ["blank data directory"] = (new() { DataDirectory = "   " }, "the data directory is required"),
        ["host name"] = (new() { ListenAddress = "localhost" }, "'localhost' is not an IP address"),
        ["empty address"] = (new() { ListenAddress = string.Empty }, "'' is not an IP address"),
        ["address with port"] = (new() { ListenAddress = "127.0.0.1:80" }, "'127.0.0.1:80' is not an IP address"),
        ["http public url"] = (new() { PublicUrl = new Uri("http://keys.example.net:7443/") }, "the public URL 'http://keys.example.net:7443/' must be an absolute https URL without a path, query or user info"),
        ["public url with a path"] = (new() { PublicUrl = new Uri("https://keys.example.net/v1") }, "the public URL 'https://keys.example.net/v1' must be an absolute https URL without a path, query or user info"),
        ["negative port"] = (new() { Port = -1 }, "port -1 is out of range"),
        ["port too high"] = (new() { Port = 65536 }, "port 65536 is out of range"),
        ["body too small"] = (new() { MaxRequestBodyBytes = 1023 }, "the request body limit must be between 1 KiB and 16 MiB"),
        ["body too large"] = (new() { MaxRequestBodyBytes = (16 * 1024 * 1024) + 1 }, "the request body limit must be between 1 KiB and 16 MiB"),
        ["lease too short"] = (new() { LeaseDuration = TimeSpan.FromMilliseconds(999) }, "the lease must be between 1 second and 24 hours"),
        ["lease zero"] = (new() { LeaseDuration = TimeSpan.Zero }, "the lease must be between 1 second and 24 hours"),
        ["lease too long"] = (new() { LeaseDuration = TimeSpan.FromHours(24) + TimeSpan.FromTicks(1) }, "the lease must be between 1 second and 24 hours"),
        ["no leases"] = (new() { MaxLeases = 0 }, "at least one lease must be allowed"),
        ["negative leases"] = (new() { MaxLeases = -5 }, "at least one lease must be allowed"),
        ["upper-case pin"] = (new() { SimulatedRootPins = [Pin.ToUpperInvariant()] }, "simulated root pins are 64 lowercase hex characters"),
        ["short pin"] = (new() { SimulatedRootPins = [Pin[..63]] }, "simulated root pins are 64 lowercase hex characters"),
        ["long pin"] = (new() { SimulatedRootPins = [Pin + "0"] }, "simulated root pins are 64 lowercase hex characters"),
        ["non-hex pin"] = (new() { SimulatedRootPins = [Pin[..63] + "g"] }, "simulated root pins are 64 lowercase hex characters"),
        ["one bad pin among good"] = (new() { SimulatedRootPins = [Pin, string.Empty] }, "simulated root pins are 64 lowercase hex characters"),
    };

    [Theory]
    [MemberData(nameof(InvalidVariants))]
    public void Validate_InvalidSetting_ThrowsNamingIt(string variant, string expected)
    {
        var options = Invalid()[variant].Options;

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal("Invalid KeyService options: " + expected + ".", error.Message);
    }

    [Fact]
    public void Validate_EveryProblemAtOnce_ListsThemAll()
    {
        var options = new KeyServiceOptions
        {
            DataDirectory = " ",
            ListenAddress = "example.com",
            Port = 70000,
            MaxRequestBodyBytes = 1,
            LeaseDuration = TimeSpan.FromDays(2),
            MaxLeases = 0,
            SimulatedRootPins = ["nope"],
        };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(
            "Invalid KeyService options: the data directory is required; 'example.com' is not an IP address; port 70000 is out of range; "
            + "the request body limit must be between 1 KiB and 16 MiB; the lease must be between 1 second and 24 hours; "
            + "at least one lease must be allowed; simulated root pins are 64 lowercase hex characters.",
            error.Message);
    }

    [Fact]
    public void Validate_TwoProblems_ListsBothInOrder()
    {
        var options = new KeyServiceOptions { Port = -2, MaxLeases = 0 };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal("Invalid KeyService options: port -2 is out of range; at least one lease must be allowed.", error.Message);
    }
}
