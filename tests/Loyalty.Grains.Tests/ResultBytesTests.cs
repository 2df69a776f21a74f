using Loyalty.Contracts;
using Loyalty.Domain;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Loyalty.Grains.Tests;

/// <summary>
/// Commit, void and refund results are kept in sale rows and member state (<see cref="SaleRecord.Result"/>,
/// <see cref="SaleRecord.Void"/>, <see cref="RefundRecord.Result"/>) and travel between silos. They were
/// positional records and are now records with named init properties (issue #14): the field ids, types
/// and aliases did not move, so what was written before loads with every field, and what is written now
/// is byte for byte what a silo still running the positional records reads.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ResultBytesTests(ClusterFixture fixture)
{
    // Written by Serializer<T> at c3f789a (the positional records), every field set to a value of its own.
    private const string CommitBefore =
        "IOhAB3QtMQEEcQIB4i4BRBMCAaoCATR3MUENQ09ERS0xAZImIYAA4Kqh60rfCIEAAAAAAAAAAOABQgYByQH6AiGAABzWgg1K"
        + "3wiBAGjEYQgAAADgAWIJASlBCUdvbGQBMgIBoQFyAwGCDAGyBEENY2FtcC0xAaIPISAABSHoCAMNwTcBBQGiD+Ag6AgDCcEr"
        + "AQEBYgng4OAhIAADIejANwGiDwEpAbIEAQkBFQEDAQNBEUlTU1VFRC0x4ODgISAAAyHoQA1jYW1wLTIBgj4BBUEbc3BlbmQg"
        + "MjAgbW9yZeDg4EEPc3RvcmUtMSEgAAMh6AgDEUENQ09ERS0yCQNtQRFzb2xkIG91dODg4AkDBeA=";

    // At c3f789a: a commit built from its nine positional arguments only, every optional field left at its default.
    private const string MinimalCommitBefore =
        "IOhAB3QtMgHCXQEBAcJdAXkBNHcxwQEBeSGAAOCqoetK3wiBAAAAAAAAAADgAQEBAQEBIYAAAAAAAAAAAIEAAAAAAAAAAOAB"
        + "AQEBwQEBAQEBAQEBAQEBwQEBASHAAeAhwAHgIcAB4MEBIcAB4AkDAeA=";

    private const string VoidBefore =
        "IOhAB3QtMQGqAgEDAQMBIhwhgABO48alTN8IgQAAAAAAAAAA4AFCBgEVAaEBMgIhIAADQRFJU1NVRUQtMeDgISAAA0ERSVNT"
        + "VUVELTLg4OA=";

    private const string RefundBefore =
        "IOhAB3ItMUEHdC0xASJOAVUByQENAWIiIYAATuPGpUzfCIEAAAAAAAAAAOABKQFFISAAA0ERSVNTVUVELTPg4CEgAANBEUlT"
        + "U1VFRC004ODg";

    // At c3f789a: a sale record holding the three results above (the commit, its void, one refund), as a sale row holds them.
    private const string SaleBefore =
        "IEAFZnAh6EAHdC0xAQRxAgHiLgFEEwIBqgIBNHcxQQ1DT0RFLTEBkiYhgADgqqHrSt8IgQAAAAAAAAAA4AFCBgHJAfoCIYAA"
        + "HNaCDUrfCIEAaMRhCAAAAOABYgkBKUEJR29sZAEyAgGhAXIDAYIMAbIEQQ1jYW1wLTEBog8hIAAFIegIAw3BOwEFAaIP4CDo"
        + "CAMJwS8BAQFiCeDg4CEgAAMh6MA7AaIPASkBsgQBCQEVAQMBA0ERSVNTVUVELTHg4OAhIAADIehADWNhbXAtMgGCPgEFQRtz"
        + "cGVuZCAyMCBtb3Jl4ODgQQ9zdG9yZS0xISAAAyHoCAMRQQ1DT0RFLTIJA21BEXNvbGQgb3V04ODgCQMF4CHowAkBqgIBAwED"
        + "ASIcIYAATuPGpUzfCIEAAAAAAAAAAOABQgYBFQGhATICISAAA8Fx4OAhIAADQRFJU1NVRUQtMuDg4CEgAAMh6EALc2t1LTFB"
        + "B2NhdAEJAUKcAQHg4ODBAQEBAQEh4CEBA0EHci0xIEAHcmZwIejA38EJASJOAVUByQENAWIiIYAATuPGpUzfCIEAAAAAAAAA"
        + "AOABKQFFISAAA0ERSVNTVUVELTPg4CEgAANBEUlTU1VFRC004ODg4OABAQEBwQEBAQEB4A==";

    private static readonly DateTimeOffset Committed = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Occurred = new(2026, 11, 24, 9, 30, 0, TimeSpan.FromHours(1));
    private static readonly DateTimeOffset Later = new(2026, 11, 27, 16, 45, 0, TimeSpan.Zero);

    private T Load<T>(string base64, out byte[] bytes)
    {
        bytes = Convert.FromBase64String(base64);
        return fixture.Cluster.ServiceProvider.GetRequiredService<Serializer<T>>().Deserialize(bytes)!;
    }

    private byte[] Write<T>(T value) => fixture.Cluster.ServiceProvider.GetRequiredService<Serializer<T>>().SerializeToArray(value);

    [Fact]
    public void A_commit_result_written_by_the_positional_record_loads_every_field_and_is_written_again_unchanged()
    {
        var result = Load<CommitResult>(CommitBefore, out var bytes);

        AssertFullCommit(result);
        Assert.Equal(bytes, Write(result));
    }

    [Fact]
    public void A_commit_result_written_with_only_the_required_fields_loads_its_optional_fields_at_their_defaults()
    {
        var result = Load<CommitResult>(MinimalCommitBefore, out var bytes);

        Assert.Equal(("t-2", 3_000L, 0L, 3_000L, 30L, 202611), (result.TransactionId, result.Subtotal, result.Discount, result.Total, result.PointsEarned, result.EarnMonth));
        Assert.Null(result.CouponCode);
        Assert.Equal(30, result.AvailableAfter);
        Assert.Equal(Committed, result.CommittedAt);
        Assert.Equal((0L, 0L, 0L, 0L, 0L), (result.PointsSpent, result.PointsValue, result.PointsPending, result.TierDiscount, result.BonusPoints));
        Assert.Equal(default, result.OccurredAt);
        Assert.Equal((0L, 0L, 0L, 0L, 0L, 0L), (result.CreditSpent, result.CreditEarned, result.CreditAfter, result.RewardDiscount, result.RewardPoints, result.CampaignDiscount));
        Assert.Null(result.TierName);
        Assert.Null(result.CampaignId);
        Assert.Null(result.StoreId);
        Assert.True(result.DiscountLines.IsDefault);
        Assert.True(result.Campaigns.IsDefault);
        Assert.True(result.Hints.IsDefault);
        Assert.True(result.Dropped.IsDefault);
        Assert.Equal(SaleStatus.Committed, result.Status);
        Assert.Equal(3_000, result.AmountDue);
        Assert.Equal(bytes, Write(result));
    }

    [Fact]
    public void A_void_result_written_by_the_positional_record_loads_every_field_and_is_written_again_unchanged()
    {
        var result = Load<VoidResult>(VoidBefore, out var bytes);

        AssertVoid(result);
        Assert.Equal(bytes, Write(result));
    }

    [Fact]
    public void A_refund_result_written_by_the_positional_record_loads_every_field_and_is_written_again_unchanged()
    {
        var result = Load<RefundResult>(RefundBefore, out var bytes);

        AssertRefund(result);
        Assert.Equal(bytes, Write(result));
    }

    [Fact]
    public void A_sale_record_written_with_the_positional_results_loads_its_commit_void_and_refund()
    {
        var sale = Load<SaleRecord>(SaleBefore, out var bytes);

        Assert.Equal("fp", sale.Fingerprint);
        AssertFullCommit(sale.Result);
        AssertVoid(sale.Void!);
        Assert.Equal("rfp", sale.Refunds["r-1"].Fingerprint);
        AssertRefund(sale.Refunds["r-1"].Result);
        Assert.Equal(new BasketLine("sku-1", "cat", 2, 5_000, false), Assert.Single(sale.Lines));
        Assert.Equal(bytes, Write(sale));
    }

    private static void AssertFullCommit(CommitResult r)
    {
        Assert.Equal("t-1", r.TransactionId);
        Assert.Equal(10_000, r.Subtotal);
        Assert.Equal(1_500, r.Discount);
        Assert.Equal(8_500, r.Total);
        Assert.Equal(85, r.PointsEarned);
        Assert.Equal(202611, r.EarnMonth);
        Assert.Equal("CODE-1", r.CouponCode);
        Assert.Equal(1_234, r.AvailableAfter);
        Assert.Equal((Committed, TimeSpan.Zero), (r.CommittedAt, r.CommittedAt.Offset));
        Assert.Equal(200, r.PointsSpent);
        Assert.Equal(50, r.PointsValue);
        Assert.Equal(95, r.PointsPending);
        Assert.Equal((Occurred, TimeSpan.FromHours(1)), (r.OccurredAt, r.OccurredAt.Offset));
        Assert.Equal(300, r.TierDiscount);
        Assert.Equal(10, r.BonusPoints);
        Assert.Equal("Gold", r.TierName);
        Assert.Equal(70, r.CreditSpent);
        Assert.Equal(40, r.CreditEarned);
        Assert.Equal(110, r.CreditAfter);
        Assert.Equal(400, r.RewardDiscount);
        Assert.Equal(150, r.RewardPoints);
        Assert.Equal("camp-1", r.CampaignId);
        Assert.Equal(500, r.CampaignDiscount);
        Assert.Equal(new[] { new DiscountLine(DiscountSource.Campaign, "camp-1", 1, 500), new DiscountLine(DiscountSource.Tier, "Gold", 0, 300) }, r.DiscountLines);
        Assert.Equal(new[] { new AppliedCampaign("camp-1", 500, 10, 150, 2, 5, true, true, "ISSUED-1") }, r.Campaigns);
        Assert.Equal(new[] { new PromotionHint("camp-2", 2_000, 1, "spend 20 more") }, r.Hints);
        Assert.Equal("store-1", r.StoreId);
        Assert.Equal(new[] { new DroppedPromotion(DiscountSource.Coupon, "CODE-2", ErrorReason.BudgetExhausted, "sold out") }, r.Dropped);
        Assert.Equal(SaleStatus.PartiallyRefunded, r.Status);
        Assert.Equal(8_500 - 50 - 70, r.AmountDue);
    }

    private static void AssertVoid(VoidResult v)
    {
        Assert.Equal("t-1", v.TransactionId);
        Assert.Equal(85, v.PointsRemoved);
        Assert.True(v.CouponRestored);
        Assert.True(v.AlreadyVoided);
        Assert.Equal(900, v.AvailableAfter);
        Assert.Equal(Later, v.VoidedAt);
        Assert.Equal(200, v.PointsReturned);
        Assert.Equal(5, v.PointsNotRecovered);
        Assert.Equal(40, v.CreditTakenBack);
        Assert.Equal(70, v.CreditReturned);
        Assert.Equal(new[] { "ISSUED-1" }, v.CouponsWithdrawn);
        Assert.Equal(new[] { "ISSUED-2" }, v.IssuedCouponsAlreadyUsed);
    }

    private static void AssertRefund(RefundResult r)
    {
        Assert.Equal("r-1", r.RefundId);
        Assert.Equal("t-1", r.TransactionId);
        Assert.Equal(2_500, r.RefundedAmount);
        Assert.Equal(21, r.PointsClawedBack);
        Assert.Equal(50, r.PointsReturned);
        Assert.Equal(3, r.PointsNotRecovered);
        Assert.Equal(1_100, r.AvailableAfter);
        Assert.Equal(Later, r.RefundedAt);
        Assert.Equal(10, r.CreditTakenBack);
        Assert.Equal(17, r.CreditReturned);
        Assert.Equal(new[] { "ISSUED-3" }, r.CouponsWithdrawn);
        Assert.Equal(new[] { "ISSUED-4" }, r.IssuedCouponsAlreadyUsed);
    }
}
