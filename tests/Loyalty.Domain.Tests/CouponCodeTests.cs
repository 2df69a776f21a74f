using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

public sealed class CouponCodeTests
{
    [Fact]
    public void Generated_codes_are_well_formed_distinct_and_survive_display_formatting()
    {
        var codes = Enumerable.Range(0, 2_000).Select(_ => CouponCodes.Next()).ToList();
        Assert.Equal(codes.Count, codes.Distinct().Count());
        foreach (var code in codes)
        {
            Assert.Equal(CouponCodes.Length, code.Length);
            Assert.Equal(code, CouponCodes.Normalize(CouponCodes.Display(code).ToLowerInvariant()));
        }
    }

    [Fact]
    public void Code_space_has_at_least_60_bits_and_no_look_alikes()
    {
        Assert.True((CouponCodes.Length - 1) * Math.Log2(CouponCodes.Symbols.Length) >= 60);
        Assert.DoesNotContain(CouponCodes.Symbols, c => "01OIL".Contains(c));
    }

    [Fact]
    public void Every_single_character_typo_is_caught()
    {
        var code = CouponCodes.Next();
        for (var position = 0; position < code.Length; position++)
        {
            foreach (var symbol in CouponCodes.Symbols.Where(s => s != code[position]))
            {
                var typo = code[..position] + symbol + code[(position + 1)..];
                Assert.Null(CouponCodes.Normalize(typo));
            }
        }
    }

    [Fact]
    public void Every_adjacent_transposition_is_caught()
    {
        for (var round = 0; round < 50; round++)
        {
            var code = CouponCodes.Next();
            for (var i = 0; i + 1 < code.Length; i++)
            {
                if (code[i] == code[i + 1])
                {
                    continue;
                }

                var swapped = code[..i] + code[i + 1] + code[i] + code[(i + 2)..];
                Assert.Null(CouponCodes.Normalize(swapped));
            }
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("SHORT")]
    [InlineData("O0O0O0O0O0O0O0")]
    public void Malformed_text_is_not_a_code(string text) => Assert.Null(CouponCodes.Normalize(text));

    [Fact]
    public void Fingerprint_changes_with_any_part_of_the_body()
    {
        var lines = ImmutableArray.Create(new BasketLine("a", "c", 1, 100, false));
        var command = new CommitCommand("t1", "s1", "pos1", lines, null);
        var same = Fingerprints.Of(command with { Lines = [new BasketLine("a", "c", 1, 100, false)] });
        Assert.Equal(Fingerprints.Of(command), same);
        Assert.NotEqual(Fingerprints.Of(command), Fingerprints.Of(command with { Lines = [new BasketLine("a", "c", 2, 100, false)] }));
        Assert.NotEqual(Fingerprints.Of(command), Fingerprints.Of(command with { CouponCode = "X" }));
        Assert.NotEqual(Fingerprints.Of(command), Fingerprints.Of(command with { StoreId = "s2" }));
        // Delimiters inside values cannot make two different bodies look alike.
        Assert.NotEqual(
            Fingerprints.Of(command with { StoreId = "a|b", TerminalId = "c" }),
            Fingerprints.Of(command with { StoreId = "a", TerminalId = "b|c" }));
    }
}
