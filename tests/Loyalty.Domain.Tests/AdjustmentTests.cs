using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

/// <summary>The member aggregate's manual adjustment (issue #15): points and credit, never below zero available, once per id.</summary>
public sealed class AdjustmentTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    // Points earned in month M expire at the end of M+1; store credit 30 days after it was credited.
    private static readonly ProgramSettings Program = new("p", "Club", "EUR", 1, 100, 1, CreditExpiryDays: 30);

    private static MemberState Enrolled()
    {
        var member = new MemberState();
        member.Enroll(Program, "Eva", null, "card-1", null, Now.AddMonths(-3));
        return member;
    }

    private static AdjustCommand Points(string id, long amount, string reason = "goodwill", string? note = "parcel lost", string actor = "op-1") =>
        new(id, LedgerAsset.Points, amount, reason, note, actor);

    private static AdjustCommand Credit(string id, long amount) => new(id, LedgerAsset.Credit, amount, "till-error", null, "op-1");

    private static long Sum(MemberState member, LedgerAsset asset) => member.Account.Outbox.Where(e => e.Asset == asset).Sum(e => e.Points);

    [Fact]
    public void Added_points_land_in_this_months_bucket_spendable_now_and_expire_with_it()
    {
        var member = Enrolled();

        var result = member.Adjust(Program, Points("a1", 500), Now);

        Assert.Equal((500L, 500L), (result.Balance.Available, member.Account.LedgerTotal));
        var bucket = Assert.Single(result.Balance.Buckets);
        Assert.Equal((202611, 500L), (bucket.Month, bucket.Points));
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), bucket.ExpiresAt); // end of M+1, like points earned today
        var entry = Assert.Single(result.Entries);
        Assert.Equal((LedgerEntryType.Adjust, 500L, "adj:a1", "goodwill", "parcel lost", "op-1"), (entry.Type, entry.Points, entry.TransactionId, entry.Reason, entry.Note, entry.Actor));
        Assert.Equal(entry, Assert.Single(member.Account.Outbox));
        Assert.Equal(500, Ledger.View(member.Account, Program.ExpiryMonths, new DateTimeOffset(2026, 12, 31, 23, 59, 0, TimeSpan.Zero)).Available);
        Assert.Equal(0, Ledger.View(member.Account, Program.ExpiryMonths, new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero)).Available);
    }

    [Fact]
    public void Taken_points_come_from_the_oldest_month_first_and_every_entry_names_the_adjustment()
    {
        var member = Enrolled();
        member.Adjust(Program, Points("oct", 100), Now.AddMonths(-1));
        member.Adjust(Program, Points("nov", 200), Now);

        var result = member.Adjust(Program, Points("take", -150, "till-error", null, "op-2"), Now);

        Assert.Equal([(202610, -100L), (202611, -50L)], result.Entries.Select(e => (e.BucketMonth, e.Points)));
        Assert.All(result.Entries, e => Assert.Equal((LedgerEntryType.Adjust, "adj:take", "till-error", (string?)null, "op-2"), (e.Type, e.TransactionId, e.Reason, e.Note, e.Actor)));
        Assert.Equal(-150, result.Amount);
        Assert.Equal(150, result.Balance.Available);
        Assert.Equal(Sum(member, LedgerAsset.Points), member.Account.LedgerTotal);
    }

    [Fact]
    public void Taking_more_than_is_available_is_refused_and_changes_nothing_not_even_a_due_expiry()
    {
        var member = Enrolled();
        member.Adjust(Program, Points("sep", 100), Now.AddMonths(-2)); // September's points expired on 1 November...
        member.Adjust(Program, Points("oct", 40), Now.AddMonths(-1));  // ...after this: their expiry is due, not recorded
        Assert.DoesNotContain(member.Account.Outbox, e => e.Type == LedgerEntryType.Expire);
        var (seq, outbox, total) = (member.Account.NextSeq, member.Account.Outbox.Count, member.Account.LedgerTotal);

        var refusal = Assert.Throws<LoyaltyException>(() => member.Adjust(Program, Points("too-much", -41), Now));

        Assert.Equal(ErrorReason.InsufficientPoints, refusal.Reason);
        Assert.Contains("only 40 points", refusal.Message, StringComparison.Ordinal);
        Assert.Equal((seq, outbox, total), (member.Account.NextSeq, member.Account.Outbox.Count, member.Account.LedgerTotal));

        // All that is available can go; the expiry that was due is recorded first, once.
        var all = member.Adjust(Program, Points("all", -40), Now);
        Assert.Equal(0, all.Balance.Available);
        Assert.Single(member.Account.Outbox, e => e.Type == LedgerEntryType.Expire);
        Assert.Equal(0, member.Account.LedgerTotal);
    }

    [Fact]
    public void Store_credit_is_added_expiring_like_cashback_and_taken_soonest_expiring_first_never_below_zero()
    {
        var member = Enrolled();
        member.Adjust(Program, Credit("c1", 5_000), Now.AddDays(-20));
        var added = member.Adjust(Program, Credit("c2", 3_000), Now);
        Assert.Equal(8_000, added.Balance.Credit);
        Assert.Equal(Now.AddDays(30), member.Account.Credit.Single(l => l.Amount == 3_000).ExpiresAt);

        var taken = member.Adjust(Program, Credit("c3", -6_000), Now);
        Assert.Equal([-5_000L, -1_000L], taken.Entries.Select(e => e.Points)); // the older lot (expiring first) goes first
        Assert.All(taken.Entries, e => Assert.Equal((LedgerAsset.Credit, LedgerEntryType.Adjust), (e.Asset, e.Type)));
        Assert.Equal(2_000, taken.Balance.Credit);
        Assert.Equal(0, taken.Balance.Available); // points untouched

        var seq = member.Account.NextSeq;
        Assert.Equal(ErrorReason.InsufficientCredit, Assert.Throws<LoyaltyException>(() => member.Adjust(Program, Credit("c4", -2_001), Now)).Reason);
        Assert.Equal(ErrorReason.InsufficientCredit, Assert.Throws<LoyaltyException>(() => member.Adjust(Program, Credit("c5", -1), Now.AddDays(31))).Reason); // expired
        Assert.Equal(seq, member.Account.NextSeq);
        Assert.Equal(Sum(member, LedgerAsset.Credit), member.Account.CreditTotal);
    }

    [Fact]
    public void A_balance_that_would_not_fit_64_bits_is_refused_before_anything_changes()
    {
        var member = Enrolled();
        Assert.Equal(long.MaxValue, member.Adjust(Program, Points("max", long.MaxValue), Now).Balance.Available);
        Assert.Equal(long.MaxValue, member.Adjust(Program, Credit("max-credit", long.MaxValue), Now).Balance.Credit);
        var seq = member.Account.NextSeq;

        var points = Assert.Throws<LoyaltyException>(() => member.Adjust(Program, Points("one-more", 1), Now));
        var credit = Assert.Throws<LoyaltyException>(() => member.Adjust(Program, Credit("one-more-credit", 1), Now));
        var minimum = Assert.Throws<LoyaltyException>(() => member.Adjust(Program, Points("min", long.MinValue), Now));

        Assert.All([points, credit, minimum], r => Assert.Equal((ErrorReason.InvalidArgument, "amount"), (r.Reason, r.Field)));
        Assert.Equal((seq, long.MaxValue, long.MaxValue), (member.Account.NextSeq, member.Account.LedgerTotal, member.Account.CreditTotal));

        // The largest debit takes it all back.
        Assert.Equal(0, member.Adjust(Program, Points("down", -long.MaxValue), Now).Balance.Available);
    }

    [Fact]
    public void A_retry_is_answered_from_the_ledger_and_a_reused_id_is_refused()
    {
        var member = Enrolled();
        Assert.Null(member.KnownAdjustment(Program, Points("r1", -10), [], Now));
        member.Adjust(Program, Points("seed", 100), Now);
        var first = member.Adjust(Program, Points("r1", -10), Now);

        // The same body (another operator retrying is still the same adjustment: it answers who made it).
        var retry = member.KnownAdjustment(Program, Points("r1", -10, actor: "op-9"), [], Now.AddMinutes(1));
        Assert.NotNull(retry);
        Assert.Equal((first.Amount, first.At, first.Actor, first.Reason, first.Note), (retry.Amount, retry.At, retry.Actor, retry.Reason, retry.Note));
        Assert.Equal(first.Entries.ToList(), retry.Entries.ToList());
        Assert.Equal(90, retry.Balance.Available);

        // Found among the stored entries as well (after a restart the outbox is empty).
        var stored = member.Account.Outbox.ToList();
        var fresh = Enrolled();
        Assert.Equal(first.Entries.ToList(), fresh.KnownAdjustment(Program, Points("r1", -10), stored, Now)!.Entries.ToList());

        foreach (var other in new[] { Points("r1", -11), Points("r1", -10, reason: "complaint"), Points("r1", -10, note: "another"), Points("r1", -10, note: null), Credit("r1", -10) })
        {
            Assert.Equal(ErrorReason.AdjustmentIdReused, Assert.Throws<LoyaltyException>(() => member.KnownAdjustment(Program, other, [], Now)).Reason);
        }

        // A sale whose id happens to read "adj:…" is not an adjustment.
        var sale = new LedgerEntry(99, LedgerEntryType.Earn, 5, 202611, "adj:x", Now);
        Assert.Null(fresh.KnownAdjustment(Program, Points("x", 5), [sale], Now));
        Assert.Equal(ErrorKind.AlreadyExists, ErrorReasons.KindOf(ErrorReason.AdjustmentIdReused));
    }

    [Theory]
    [InlineData("", "goodwill", null, 5, "adjustment_id")]
    [InlineData("a b", "goodwill", null, 5, "adjustment_id")]
    [InlineData("a1", "goodwill", null, 0, "amount")]
    [InlineData("a1", "", null, 5, "reason")]
    [InlineData("a1", "Goodwill", null, 5, "reason")]
    [InlineData("a1", "-goodwill", null, 5, "reason")]
    [InlineData("a1", "good will", null, 5, "reason")]
    [InlineData("a1", "abcdefghijklmnopqrstuvwxyz0123456", null, 5, "reason")]
    [InlineData("a1", "goodwill", "line\nbreak", 5, "note")]
    [InlineData("a1", "goodwill", "bell\u0007", 5, "note")]
    public void Bad_adjustments_are_refused_naming_the_field_and_change_nothing(string id, string reason, string? note, long amount, string field)
    {
        var member = Enrolled();
        var seq = member.Account.NextSeq;

        var refusal = Assert.Throws<LoyaltyException>(() => member.Adjust(Program, Points(id, amount, reason, note), Now));

        Assert.Equal((ErrorReason.InvalidArgument, field), (refusal.Reason, refusal.Field));
        Assert.Equal(seq, member.Account.NextSeq);
    }

    [Fact]
    public void Notes_may_be_up_to_500_printable_characters_in_any_script()
    {
        var member = Enrolled();
        Assert.Equal("Zákazník 😀 reklamace", member.Adjust(Program, Points("n1", 1, note: "Zákazník 😀 reklamace"), Now).Note);
        Assert.Equal(500, member.Adjust(Program, Points("n2", 1, note: new string('x', 500)), Now).Note!.Length);
        Assert.Equal("note", Assert.Throws<LoyaltyException>(() => member.Adjust(Program, Points("n3", 1, note: new string('x', 501)), Now)).Field);
        Assert.Equal("reason", Assert.Throws<LoyaltyException>(() => member.Adjust(Program, Points("n4", 1, reason: new string('a', 32) + "b"), Now)).Field);
        Assert.Equal(32, member.Adjust(Program, Points("n5", 1, reason: new string('a', 32)), Now).Reason.Length);
        Assert.Equal("note", Assert.Throws<LoyaltyException>(() => member.Adjust(Program, Points("n7", 1, note: "half \ud800 pair"), Now)).Field); // a broken surrogate pair
        Assert.Equal("note", Assert.Throws<LoyaltyException>(() => member.Adjust(Program, Points("n8", 1, note: "para\u2029graph"), Now)).Field);
        Assert.Equal("actor", Assert.Throws<LoyaltyException>(() => member.Adjust(Program, Points("n6", 1, actor: string.Empty), Now)).Field);
    }
}
