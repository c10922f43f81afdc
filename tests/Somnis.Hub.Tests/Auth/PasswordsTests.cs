using Somnis.Hub.Auth;

namespace Somnis.Hub.Tests.Auth;

public sealed class PasswordsTests
{
    /// <summary>"old-format-password" hashed by the hub's previous format (what <c>hash-password</c> printed before).</summary>
    internal const string OldPassword = "old-format-password";
    internal const string OldHash = "pbkdf2-sha256$100000$AAECAwQFBgcICQoLDA0ODw==$EMfXN4dFlmvsWihf2JYvjcXxMuGM2FAMMPmvrYthzLU=";

    [Fact]
    public void A_hash_is_asp_net_core_identitys_and_verifies_its_password_only_and_is_salted()
    {
        var hash = Passwords.Hash("somnis-demo-password");
        Assert.Equal(PasswordCheck.Right, Passwords.Verify("somnis-demo-password", hash));
        Assert.Equal(PasswordCheck.Wrong, Passwords.Verify("somnis-demo-passw0rd", hash));
        Assert.NotEqual(hash, Passwords.Hash("somnis-demo-password"));
        // Identity's v3 layout: marker byte 0x01, then PRF 2 (HMAC-SHA512), big-endian.
        Assert.Equal([0x01, 0, 0, 0, 2], Convert.FromBase64String(hash)[..5]);
        Assert.True(Passwords.IsWellFormed(hash));
    }

    [Fact]
    public void A_hash_of_the_older_format_still_verifies_and_asks_to_be_replaced()
    {
        Assert.True(Passwords.IsWellFormed(OldHash));
        Assert.Equal(PasswordCheck.RightButOutdated, Passwords.Verify(OldPassword, OldHash));
        Assert.Equal(PasswordCheck.Wrong, Passwords.Verify("old-format-passw0rd", OldHash));
    }

    [Theory]
    [InlineData("")]
    [InlineData("somnis-demo")]
    [InlineData("pbkdf2-sha256$10$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("pbkdf2-sha256$100000$not base64$x")]
    [InlineData("AQAAAAIAAYagAAAAEA==")]
    [InlineData("AAAAAAIAAYagAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==")]
    public void Malformed_hashes_never_verify(string stored)
    {
        Assert.False(Passwords.IsWellFormed(stored));
        Assert.Equal(PasswordCheck.Wrong, Passwords.Verify("somnis-demo", stored));
    }

    [Theory]
    [InlineData(null, "a password is required")]
    [InlineData("", "a password is required")]
    [InlineData("eleven char", "too short: at least 12 characters")]
    [InlineData("            ", "blank")]
    public void New_passwords_have_at_least_twelve_characters(string? password, string problem)
    {
        Assert.Contains(problem, Passwords.Problem(password), StringComparison.Ordinal);
        Assert.Null(Passwords.Problem("twelve chars"));
        Assert.Contains("too long", Passwords.Problem(new string('x', Passwords.MaxLength + 1)), StringComparison.Ordinal);
    }

    [Fact]
    public void The_hash_password_command_reads_stdin_prints_the_new_format_and_refuses_short_passwords()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(0, HashPasswordCommand.Run(new StringReader("long enough now\n"), output, error));
        var hash = output.ToString().Trim();
        Assert.Equal(PasswordCheck.Right, Passwords.Verify("long enough now", hash));
        Assert.Equal(2, HashPasswordCommand.Run(new StringReader("too short\n"), output, error));
        Assert.Contains("at least 12 characters", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, HashPasswordCommand.Run(new StringReader(""), output, error));
        Assert.Equal(hash, output.ToString().Trim());
    }
}
