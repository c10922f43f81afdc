using System.CommandLine;
using Microsoft.Extensions.Options;
using Npgsql;
using Somnis.Edge.Cli;
using Somnis.Hub.Auth;
using Somnis.Hub.Storage;
using Somnis.Integration.Tests.Infrastructure;

namespace Somnis.Integration.Tests.Storage;

/// <summary><c>users …</c> with <c>Store:Provider postgres</c>: the command changes the users every hub node of the shared
/// store signs in with, not a node's file.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresUsersCommandTests(PostgresFixture postgres)
{
    private static async Task<(int Code, string Output, string Error)> Users(string stdin, params string[] args)
    {
        var (flags, keys) = Switches.SplitKeys(["users", .. args]);
        var root = new RootCommand("test");
        root.Subcommands.Add(UsersCommand.Create(keys, new StringReader(stdin)));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await Switches.InvokeAsync("somnis-hub", root, flags, keys, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Users_are_added_to_and_listed_from_the_shared_database_and_the_last_supervisor_is_kept()
    {
        var cs = await postgres.Server.CreateDatabaseAsync("users");
        var data = Directory.CreateTempSubdirectory("somnis-users-pg-").FullName;
        try
        {
            string[] store = ["--Store:Provider", "postgres", "--Store:ConnectionString", cs, "--data", data];
            var (code, output, error) = await Users("boss-password-1\n", ["add", "boss", "--role", "supervisor", .. store]);
            Assert.True(code == 0, error);
            Assert.Equal("added boss (supervisor)", output.Trim());

            using (var shared = new PostgresStore(Options.Create(new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = cs })))
            {
                Assert.Equal(PasswordCheck.Right, Passwords.Verify("boss-password-1", shared.FindUser("boss")!.PasswordHash));
            }

            // No file store was created for the users: the data directory holds nothing.
            Assert.Empty(Directory.EnumerateFileSystemEntries(data));
            (code, output, _) = await Users("", ["list", .. store]);
            Assert.Equal(0, code);
            Assert.Matches(@"(?m)^boss\s+supervisor\s", output);
            (code, _, error) = await Users("", ["remove", "boss", .. store]);
            Assert.Equal(UsersCommand.Refused, code);
            Assert.Contains("last supervisor", error, StringComparison.Ordinal);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }
}
