using Loyalty.Domain;
using Loyalty.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace Loyalty.Grains.Tests;

/// <summary>
/// A member state's collections are created on their first write (docs/performance.md, "Memory per
/// member"). States written before, with every collection present and empty, must still load; states
/// written now, with the collections absent, must load the same; and no two states share a collection.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MemberStateShapeTests(ClusterFixture fixture)
{
    /// <summary>
    /// Bytes written by the engine at e37d3f1, before collections were created on demand: an enrolled
    /// member (every collection empty) and a member who used each of them once.
    /// </summary>
    private const string EnrolledBefore =
        "IAADQQdFdmEh4CEg4AEFIeABASHgAQHgIeAhgADgqqHrSt8IgQAAAAAAAAAA4CEg4AEBAQEh4ODBAcEBwQEh4AEBwQEBAcEB"
        + "IeDBAQEBIeAh4CLgIeAnEeDg";

    internal const string UsedBefore =
        "IAADQQdBZGEhAANBDWNhcmQtMeAhIAADIQA0dzEBoSGAAOCqoetK3wiBAAAAAAAAAADg4OABCSEAAyHoAAUJAwUBoQE0dzFB"
        + "BXQxIYAA4Kqh60rfCIEAAAAAAAAAAOAJAwHg4AGhIQADIQAVATR3McEB4OABFeAhAQPBMSBABWYxIejAMQHCXQEBAcJdAXkB"
        + "NHcxwQEBoSGAAOCqoetK3wiBAAAAAAAAAADgAQEBAQEBIYAAAAAAAAAAAIEAAAAAAAAAAOABAQEBwQEBAQEBAQEBAQEBwQEB"
        + "ASHAAeAhwAHgIcAB4MEB4MEBISDg4CEBAwEkdzEAKeABAQEBIeAhAQNBBXIxIEAFcmYh6MCzwTEB4i4BPQEBAQEBZSGAAOCq"
        + "oetK3wiBAAAAAAAAAADgAQEBAeDg4AHCXQEBIQADIQAdASR3McEB4OABAQEB4OAhgADgqqHrSt8IgQAAAAAAAAAA4CEgAQMB"
        + "NHcxAMJd4AHCXQEFIQADAVI/4ODBAcEBwQEhAANBD3N0dWRlbnTgAQHBAQEBwQEhAQNBD3dlbGNvbWUgCAMFQQVXMSGAAOCq"
        + "oetK3wiBAAAAAAAAAADgAQMh4ODgwQEBASEBA0ERZnJpZW5kLTHgIQADQQ1jYXJkLTDgIgEDQQtzdGFtcAAN4CEBA0EJY2Ft"
        + "cAAF4CcRAQNBCUNPREUACeDg";

    private static readonly DateTimeOffset At = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static readonly ProgramSettings Program = new("p", "Club", "EUR", 1, 100, 12);

    /// <summary>Eva, enrolled at <see cref="At"/> in a program without an enrollment bonus.</summary>
    private static MemberState Enrolled()
    {
        var state = new MemberState();
        state.Enroll(Program, "Eva", null, null, null, At);
        return state;
    }

    private Serializer Serializer => fixture.Cluster.ServiceProvider.GetRequiredService<Serializer>();

    private MemberState RoundTrip(MemberState state) => Serializer.Deserialize<MemberState>(Serializer.SerializeToArray(state))!;

    private static VoidResult Voided(string transactionId, long pointsRemoved) => new()
    {
        TransactionId = transactionId,
        PointsRemoved = pointsRemoved,
        CouponRestored = false,
        AlreadyVoided = false,
        AvailableAfter = 0,
        VoidedAt = At,
    };

    [Fact]
    public void An_enrolled_state_written_before_and_one_written_now_load_alike_and_take_their_first_write()
    {
        var before = Serializer.Deserialize<MemberState>(Convert.FromBase64String(EnrolledBefore))!;
        var now = RoundTrip(Enrolled());

        foreach (var s in new[] { before, now })
        {
            Assert.Equal((true, "Eva", At, 1L), (s.Enrolled, s.Name, s.EnrolledAt, s.Account.NextSeq));
            Assert.Empty(s.Cards);
            Assert.Empty(s.BlockedCards);
            Assert.Empty(s.LegacySalesById);
            Assert.Empty(s.Attributes);
            Assert.Empty(s.Automations);
            Assert.Empty(s.ReferralsRewarded);
            Assert.Empty(s.Stamps);
            Assert.Empty(s.CampaignUses);
            Assert.Empty(s.CouponUses);
            Assert.Empty(s.Account.Lots);
            Assert.Empty(s.Account.Outbox);
            Assert.Empty(s.Account.Credit);
            Assert.Empty(s.Spend.ByMonth);
            Assert.Empty(s.Spend.BirthdayBonusYears);
            Assert.False(s.LegacySalesById.ContainsKey("t1"));

            s.ReplaceCard(null, "card-1", MemberProof.Operator, new VerificationCodes(), At);
            s.CountCouponUse("CODE", 2);
            s.Spend.ByMonthForWrite()[202611] = 3_000;
            s.Account.OutboxForWrite().Add(new LedgerEntry(1, LedgerEntryType.Earn, 30, 202611, "t1", At));
            var copy = RoundTrip(s);
            Assert.Equal(["card-1"], copy.Cards);
            Assert.Equal(2, copy.CouponUses["CODE"]);
            Assert.Equal(3_000, copy.Spend.ByMonth[202611]);
            Assert.Equal(30, Assert.Single(copy.Account.Outbox).Points);
        }
    }

    [Fact]
    public void A_state_written_now_keeps_its_unwritten_collections_absent()
    {
        var bytes = Serializer.SerializeToArray(Enrolled());

        // The same member as written before: the collections are absent now, not empty.
        Assert.NotEqual(Convert.FromBase64String(EnrolledBefore), bytes);

        // Loading and writing again gives the same bytes: nothing was created by reading.
        var loaded = Serializer.Deserialize<MemberState>(bytes)!;
        _ = (loaded.Cards.Count, loaded.LegacySalesById.Count, loaded.Account.Lots.Count, loaded.Spend.ByMonth.Count);
        Assert.Equal(bytes, Serializer.SerializeToArray(loaded));
    }

    [Fact]
    public void A_state_written_before_lets_go_of_its_empty_collections_and_keeps_the_used_ones()
    {
        var enrolled = Serializer.Deserialize<MemberState>(Convert.FromBase64String(EnrolledBefore))!;
        enrolled.ReleaseEmptyCollections();
        Assert.Equal(Serializer.SerializeToArray(Enrolled()), Serializer.SerializeToArray(enrolled));

        var used = Serializer.Deserialize<MemberState>(Convert.FromBase64String(UsedBefore))!;
        var bytes = Serializer.SerializeToArray(used);
        used.ReleaseEmptyCollections();
        Assert.Equal(bytes, Serializer.SerializeToArray(used));
    }

    [Fact]
    public void Recent_sales_are_kept_as_copies_and_the_least_recent_is_forgotten_first()
    {
        var sales = fixture.Cluster.ServiceProvider.GetRequiredService<Serializer<SaleRecord>>();
        var s = Serializer.Deserialize<MemberState>(Convert.FromBase64String(UsedBefore))!;
        var recent = new RecentSales(sales);
        var legacy = s.LegacySalesById["t1"];
        Assert.Same(legacy, recent.Find("t1", s)); // not yet migrated: the loaded sale itself

        // Migrated by the first sale remembered: every sale in memory is a copy, changed only by remembering it again.
        recent.Remember(new SaleRecord { Fingerprint = "f2", Result = legacy.Result with { TransactionId = "t2" } }, s);
        var copy = recent.Find("t1", s)!;
        Assert.NotSame(legacy, copy);
        Assert.Equal((10L, "rf"), (copy.BurnedByMonth[202610], copy.Refunds["r1"].Fingerprint));
        copy.Void = Voided("t1", pointsRemoved: 0);
        Assert.Null(recent.Find("t1", s)!.Void);
        recent.Remember(copy, s);
        Assert.NotNull(recent.Find("t1", s)!.Void);

        // t1 was remembered last: the next ones push out t2 first.
        for (var i = 3; i < 3 + RecentSales.Capacity - 1; i++)
        {
            recent.Remember(new SaleRecord { Fingerprint = "f", Result = legacy.Result with { TransactionId = $"t{i}" } }, s);
        }

        Assert.Null(recent.Find("t2", s));
        Assert.NotNull(recent.Find("t1", s));
        recent.Remember(new SaleRecord { Fingerprint = "f", Result = legacy.Result with { TransactionId = "t99" } }, s);
        Assert.Null(recent.Find("t1", s));
        Assert.Equal("f", recent.Find("t99", s)!.Fingerprint);
    }

    [Fact]
    public void A_sale_kept_in_memory_is_byte_for_byte_its_row_as_the_storage_serializer_writes_it()
    {
        // The batched storage writes these bytes as the sale's row instead of serializing the sale again.
        var sales = fixture.Cluster.ServiceProvider.GetRequiredService<Serializer<SaleRecord>>();
        var storage = new OrleansGrainStorageSerializer(Serializer);
        var s = Serializer.Deserialize<MemberState>(Convert.FromBase64String(UsedBefore))!;
        var recent = new RecentSales(sales);
        var sale = s.LegacySalesById["t1"];
        var changed = new SaleRecord { Fingerprint = "f2", Result = sale.Result with { TransactionId = "t2" }, Void = Voided("t2", pointsRemoved: 5) };

        foreach (var kept in new[] { sale, changed })
        {
            var bytes = recent.Remember(kept, s);
            Assert.Equal(storage.Serialize(kept).ToArray(), bytes);
            var row = storage.Deserialize<SaleRecord>(new BinaryData(bytes));
            Assert.Equal(Serializer.SerializeToArray(kept), Serializer.SerializeToArray(row));
        }
    }

    [Fact]
    public void A_state_written_before_with_every_collection_in_use_loads_its_contents()
    {
        var s = Serializer.Deserialize<MemberState>(Convert.FromBase64String(UsedBefore))!;

        Assert.Equal(["card-1"], s.Cards);
        Assert.Equal(["card-0"], s.BlockedCards);
        Assert.Equal(["student"], s.Attributes);
        Assert.Equal(("W1", true), (s.Automations["welcome"].Code, s.Automations["welcome"].Done));
        Assert.Equal(["friend-1"], s.ReferralsRewarded);
        Assert.Equal((3, 1, 2), (s.Stamps["stamp"], s.CampaignUses["camp"], s.CouponUses["CODE"]));
        Assert.Equal((202611, 40L), (Assert.Single(s.Account.Lots).Month, s.Account.Lots[0].Points));
        Assert.Equal("t1", Assert.Single(s.Account.Outbox).TransactionId);
        Assert.Equal(5, Assert.Single(s.Account.Credit).Amount);
        Assert.Equal((2L, 40L, 5L), (s.Account.NextSeq, s.Account.LedgerTotal, s.Account.CreditTotal));
        Assert.Equal(3_000, s.Spend.ByMonth[202611]);
        Assert.Equal([2026], s.Spend.BirthdayBonusYears);
        var sale = s.LegacySalesById["t1"];
        Assert.Equal(10, sale.BurnedByMonth[202610]);
        Assert.Equal(7, Assert.Single(sale.CreditSpentFrom).Amount);
        Assert.Equal(15, sale.Refunds["r1"].Result.PointsClawedBack);

        // Written again by this code, the same contents come back.
        var again = RoundTrip(s);
        Assert.Equal((10L, 7L, "rf"), (again.LegacySalesById["t1"].BurnedByMonth[202610], again.LegacySalesById["t1"].CreditSpentFrom[0].Amount, again.LegacySalesById["t1"].Refunds["r1"].Fingerprint));
        Assert.Equal(["card-0"], again.BlockedCards);
    }

    [Fact]
    public void A_collection_never_written_reads_empty_cannot_be_changed_through_the_view_and_is_never_shared()
    {
        var first = new MemberState();
        var second = new MemberState();

        // The empty view is shared, so it must refuse every change.
        Assert.Throws<NotSupportedException>(() => ((ICollection<string>)first.Cards).Add("x"));
        Assert.Throws<NotSupportedException>(() => ((IDictionary<string, int>)first.Stamps).Add("c", 1));
        Assert.Throws<NotSupportedException>(() => ((ISet<string>)first.ReferralsRewarded).Add("f"));
        Assert.Throws<NotSupportedException>(() => ((ICollection<PointsLot>)first.Account.Lots).Add(new PointsLot()));
        Assert.Throws<NotSupportedException>(() => ((IDictionary<int, long>)first.Spend.ByMonth).Add(202611, 1));

        first.ReplaceCard(null, "card-1", MemberProof.Operator, new VerificationCodes(), At);
        first.CountCouponUse("c", 1);
        first.RewardReferral("friend", 0, At);
        first.Account.LotsForWrite().Add(new PointsLot { Month = 202611, Points = 5 });
        first.Spend.ByMonthForWrite()[202611] = 100;

        Assert.Equal(["card-1"], first.Cards);
        Assert.Empty(second.Cards);
        Assert.Empty(second.CouponUses);
        Assert.Empty(second.ReferralsRewarded);
        Assert.Empty(second.Account.Lots);
        Assert.Empty(second.Spend.ByMonth);
        Assert.NotSame(first.Account.LotsForWrite(), second.Account.LotsForWrite());

        // A copy (grain storage and calls copy state this way) owns its own collections.
        var copy = fixture.Cluster.ServiceProvider.GetRequiredService<DeepCopier>().Copy(first);
        copy.ReplaceCard(null, "card-2", MemberProof.Operator, new VerificationCodes(), At);
        copy.Spend.ByMonthForWrite()[202611] = 1;
        Assert.Equal(["card-1"], first.Cards);
        Assert.Equal(100, first.Spend.ByMonth[202611]);
    }

    [Fact]
    public void A_sale_record_holds_no_reversal_collections_until_it_needs_them()
    {
        var result = new CommitResult
        {
            TransactionId = "t1",
            Subtotal = 3_000,
            Discount = 0,
            Total = 3_000,
            PointsEarned = 30,
            EarnMonth = 202611,
            CouponCode = null,
            AvailableAfter = 30,
            CommittedAt = At,
        };
        var plain = new SaleRecord { Fingerprint = "f", Result = result, BurnedByMonth = new Dictionary<int, long>(), CreditSpentFrom = [] };
        var burned = new Dictionary<int, long> { [202610] = 10 };
        var paid = new SaleRecord { Fingerprint = "f", Result = result, BurnedByMonth = burned };

        Assert.Empty(plain.BurnedByMonth);
        Assert.Empty(plain.Refunds);
        Assert.Empty(plain.CreditSpentFrom);
        Assert.Throws<NotSupportedException>(() => ((IDictionary<int, long>)plain.BurnedByMonth).Add(202610, 1));

        // The record keeps its own copy: the dictionary it was given is not shared with it.
        burned[202610] = 99;
        Assert.Equal(10, paid.BurnedByMonth[202610]);
        paid.BurnedByMonthForWrite()[202610] = 4;
        var refund = new RefundResult
        {
            RefundId = "r1",
            TransactionId = "t1",
            RefundedAmount = 1_500,
            PointsClawedBack = 15,
            PointsReturned = 0,
            PointsNotRecovered = 0,
            AvailableAfter = 15,
            RefundedAt = At,
        };
        plain.RefundsForWrite()["r1"] = new RefundRecord { Fingerprint = "rf", Result = refund };
        var copy = Serializer.Deserialize<SaleRecord>(Serializer.SerializeToArray(plain))!;
        Assert.Equal("rf", copy.Refunds["r1"].Fingerprint);
        Assert.Equal(4, paid.BurnedByMonth[202610]);
        Assert.Empty(copy.BurnedByMonth);
    }
}
