using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

[Collection(EngineCollection.Name)]
public sealed class CardTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    [Fact]
    public async Task A_lost_card_is_blocked_and_replaced_without_losing_the_balance()
    {
        var program = await fixture.NewProgramAsync();
        var (lost, replacement, extra) = (Card(), Card(), Card());
        var enrolled = await Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, CardNumber = lost });
        var member = enrolled.MemberId;
        var earned = (await Engine.Pos.CommitAsync(Sales.Commit(program, member, "before-loss"))).PointsEarned;
        Assert.True(earned > 0);

        var request = new ReplaceCardRequest { ProgramId = program, MemberId = member, LostCardNumber = lost, NewCardNumber = replacement };
        var replaced = await Engine.Pos.ReplaceCardAsync(request);
        Assert.Equal([replacement], replaced.CardNumbers);
        Assert.Equal(replaced, await Engine.Pos.ReplaceCardAsync(request)); // a retry changes nothing

        var byNewCard = await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = replacement });
        Assert.Equal((member, earned), (byNewCard.MemberId, byNewCard.Balance.Available));
        var blocked = await Assert.ThrowsAsync<RpcException>(() =>
            Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = lost }).ResponseAsync);
        Assert.Equal((StatusCode.FailedPrecondition, "CARD_BLOCKED"), (blocked.StatusCode, blocked.Reason()));

        // The blocked card never identifies anyone again, not even a new enrollment.
        var reuse = await Assert.ThrowsAsync<RpcException>(() =>
            Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = "someone-else", CardNumber = lost }).ResponseAsync);
        Assert.Equal("CARD_IN_USE", reuse.Reason());

        // A second card can be added; another member's card cannot be taken.
        var added = await Engine.Pos.ReplaceCardAsync(new ReplaceCardRequest { ProgramId = program, MemberId = member, NewCardNumber = extra });
        Assert.Equal([replacement, extra], added.CardNumbers);
        var other = await Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, CardNumber = Card() });
        var taken = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.ReplaceCardAsync(new ReplaceCardRequest
        {
            ProgramId = program, MemberId = member, NewCardNumber = other.CardNumbers[0],
        }).ResponseAsync);
        Assert.Equal("CARD_IN_USE", taken.Reason());
        var notOwn = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.ReplaceCardAsync(new ReplaceCardRequest
        {
            ProgramId = program, MemberId = member, LostCardNumber = other.CardNumbers[0], NewCardNumber = Card(),
        }).ResponseAsync);
        Assert.Equal("CARD_NOT_FOUND", notOwn.Reason());
        Assert.Equal([other.MemberId], [(await Engine.Pos.IdentifyAsync(new IdentifyRequest { ProgramId = program, CardNumber = other.CardNumbers[0] })).MemberId]);
    }

    private static string Card() => "card-" + Guid.NewGuid().ToString("N")[..12];
}
