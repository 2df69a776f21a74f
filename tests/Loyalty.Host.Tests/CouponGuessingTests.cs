using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Domain;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

[Collection(EngineCollection.Name)]
public sealed class CouponGuessingTests(EngineFixture fixture)
{
    [Fact]
    public async Task Ten_thousand_random_codes_from_one_terminal_find_nothing_and_the_terminal_is_throttled()
    {
        var program = await fixture.NewProgramAsync();
        var real = await fixture.NewCouponAsync(program);
        var outcomes = new Dictionary<StatusCode, int>();
        var hits = 0;
        for (var i = 0; i < 10_000; i++)
        {
            // Well-formed codes (valid check character) reach the lookup; every 4th is a typo-like string.
            var guess = i % 4 == 3 ? $"GUESS{i:D9}" : CouponCodes.Next();
            var quote = new QuoteRequest { ProgramId = program, StoreId = "s1", TerminalId = "evil", CouponCode = guess };
            quote.Lines.Add(Sales.Line("x", 1, 10_000));
            try
            {
                var reply = await fixture.Engine.Pos.QuoteAsync(quote);
                hits += reply.Coupon.Valid ? 1 : 0;
                outcomes[StatusCode.OK] = outcomes.GetValueOrDefault(StatusCode.OK) + 1;
            }
            catch (RpcException e)
            {
                outcomes[e.StatusCode] = outcomes.GetValueOrDefault(e.StatusCode) + 1;
            }
        }

        Assert.Equal(0, hits);
        Assert.True(outcomes.GetValueOrDefault(StatusCode.ResourceExhausted) >= 9_900, string.Join(", ", outcomes));

        var throttled = await Assert.ThrowsAsync<RpcException>(() => fixture.Engine.Pos.QuoteAsync(
            new QuoteRequest { ProgramId = program, StoreId = "s1", TerminalId = "evil", CouponCode = real, Lines = { Sales.Line("x", 1, 10_000) } }).ResponseAsync);
        Assert.Equal((StatusCode.ResourceExhausted, "TOO_MANY_COUPON_GUESSES"), (throttled.StatusCode, throttled.Reason()));

        // Another terminal is not affected and finds the real code.
        var honest = await fixture.Engine.Pos.QuoteAsync(
            new QuoteRequest { ProgramId = program, StoreId = "s1", TerminalId = "till-2", CouponCode = real, Lines = { Sales.Line("x", 1, 10_000) } });
        Assert.True(honest.Coupon.Valid);
    }
}
