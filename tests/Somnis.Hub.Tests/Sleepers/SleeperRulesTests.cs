using Somnis.Hub.Sleepers;

namespace Somnis.Hub.Tests.Sleepers;

public sealed class SleeperRulesTests
{
    [Theory]
    [InlineData("Ada Lovelace", "ada-lovelace")]
    [InlineData("  Zoë  Ørsted-Smith! ", "zo-rsted-smith")]
    [InlineData("李", "sleeper")]
    public void Ids_are_made_from_names(string name, string id) => Assert.Equal(id, SleeperRules.IdFromName(name, _ => false));

    [Fact]
    public void A_taken_id_gets_a_number_and_a_long_name_is_cut()
    {
        Assert.Equal("ada-3", SleeperRules.IdFromName("Ada", id => id is "ada" or "ada-2"));
        var id = SleeperRules.IdFromName(new string('a', 200), _ => false);
        Assert.Null(SleeperRules.IdProblem(id));
    }

    [Fact]
    public void Names_notes_ids_and_programs_are_checked()
    {
        Assert.Null(SleeperRules.NameProblem("Ada"));
        Assert.Equal("name is required", SleeperRules.NameProblem(" "));
        Assert.Contains("at most 80", SleeperRules.NameProblem(new string('x', 81)), StringComparison.Ordinal);
        Assert.Contains("control characters", SleeperRules.NameProblem("Ada\nBen"), StringComparison.Ordinal);
        Assert.Contains("at most 2000", SleeperRules.NotesProblem(new string('x', 2001)), StringComparison.Ordinal);
        Assert.NotNull(SleeperRules.IdProblem("Ada"));
        Assert.NotNull(SleeperRules.IdProblem("a/b"));
        Assert.Equal(SleepProgram.Companions, SleeperRules.ParseProgram("companions", out _));
        Assert.Null(SleeperRules.ParseProgram("Architect", out var problem));
        Assert.Contains("unknown program 'Architect'", problem, StringComparison.Ordinal);
    }
}
