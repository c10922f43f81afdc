using System.CommandLine;

namespace Somnis.Hub.Auth;

/// <summary><c>hash-password</c>: reads a password from standard input and prints the hash for <c>Auth:Users:N:PasswordHash</c>
/// (ASP.NET Core Identity's format, <see cref="Passwords"/>). Users of a running hub are managed with <c>users</c>.</summary>
internal static class HashPasswordCommand
{
    public static Command Create()
    {
        var command = new Command("hash-password", $"Read a password (at least {Passwords.MinLength} characters) on standard input and print its hash for " +
            "Auth:Users:N:PasswordHash (the users of a first start; then see 'users').\nExit codes: 0 done, 2 no or too short a password.");
        command.SetAction(result => Run(Console.In, result.InvocationConfiguration.Output, result.InvocationConfiguration.Error));
        return command;
    }

    public static int Run(TextReader input, TextWriter output, TextWriter error)
    {
        var password = input.ReadLine();
        if (Passwords.Problem(password) is { } problem)
        {
            error.WriteLine($"somnis-hub hash-password: {problem} (give it on standard input)");
            return 2;
        }

        output.WriteLine(Passwords.Hash(password!));
        return 0;
    }
}
