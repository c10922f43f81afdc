using Somnis.Hub.Auth;

namespace Somnis.Hub.Tests.Auth;

public sealed class PasswordsTests
{
    [Fact]
    public void A_hash_verifies_its_password_only_and_is_salted()
    {
        var hash = Passwords.Hash("somnis-demo");
        Assert.True(Passwords.Verify("somnis-demo", hash));
        Assert.False(Passwords.Verify("somnis-dem0", hash));
        Assert.NotEqual(hash, Passwords.Hash("somnis-demo"));
        Assert.StartsWith("pbkdf2-sha256$100000$", hash, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("somnis-demo")]
    [InlineData("pbkdf2-sha256$10$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("pbkdf2-sha256$100000$not base64$x")]
    public void Malformed_hashes_never_verify(string stored)
    {
        Assert.False(Passwords.IsWellFormed(stored));
        Assert.False(Passwords.Verify("somnis-demo", stored));
    }

    [Fact]
    public void The_hash_password_command_reads_stdin_and_refuses_short_passwords()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(0, HashPasswordCommand.Run(new StringReader("long enough\n"), output, error));
        Assert.True(Passwords.Verify("long enough", output.ToString().Trim()));
        Assert.Equal(2, HashPasswordCommand.Run(new StringReader("short\n"), output, error));
        Assert.Contains("at least 8 characters", error.ToString(), StringComparison.Ordinal);
    }
}
