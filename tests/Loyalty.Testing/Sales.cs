using Loyalty.Api.V1;

namespace Loyalty.Testing;

/// <summary>The sales the integration tests ring up, as a terminal sends them.</summary>
public static class Sales
{
    public static BasketLine Line(string sku, int quantity, long unitPrice, string category = "general") =>
        new() { Sku = sku, Category = category, Quantity = quantity, UnitPrice = unitPrice };

    /// <summary>A sale of 12,345 minor units: 123 points at 1 point per 100.</summary>
    public static CommitRequest Commit(string programId, string memberId, string transactionId, string? coupon = null)
    {
        var request = new CommitRequest
        {
            ProgramId = programId,
            MemberId = memberId,
            TransactionId = transactionId,
            StoreId = "store-1",
            TerminalId = "pos-1",
            CouponCode = coupon ?? string.Empty,
        };
        request.Lines.Add(Line("shampoo", 1, 4_345));
        request.Lines.Add(Line("perfume", 2, 4_000, "fragrance"));
        return request;
    }
}
