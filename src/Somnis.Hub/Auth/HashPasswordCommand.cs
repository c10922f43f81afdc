namespace Somnis.Hub.Auth;

/// <summary><c>hash-password</c>: reads a password from standard input and prints the hash for <c>Auth:Users:N:PasswordHash</c>.</summary>
internal static class HashPasswordCommand
{
    public static int Run(TextReader input, TextWriter output, TextWriter error)
    {
        var password = input.ReadLine();
        if (string.IsNullOrEmpty(password) || password.Length < 8)
        {
            error.WriteLine("somnis-hub hash-password: give a password of at least 8 characters on standard input");
            return 2;
        }

        output.WriteLine(Passwords.Hash(password));
        return 0;
    }
}
