using Grpc.Core;
using Loyalty.Api.V1;
using Loyalty.Client;
using Loyalty.Host.Tests.Infrastructure;

namespace Loyalty.Host.Tests;

[Collection(EngineCollection.Name)]
public sealed class ValidationTests(EngineFixture fixture)
{
    private TestEngine Engine => fixture.Engine;

    public static TheoryData<string, Action<CommitRequest>, string> BadCommits => new()
    {
        { "negative price", r => r.Lines[0].UnitPrice = -1, "lines[0].unit_price" },
        { "zero quantity", r => r.Lines[1].Quantity = 0, "lines[1].quantity" },
        { "absurd quantity", r => r.Lines[1].Quantity = 1_000_000, "lines[1].quantity" },
        { "empty sku", r => r.Lines[0].Sku = string.Empty, "lines[0].sku" },
        { "empty transaction id", r => r.TransactionId = string.Empty, "transaction_id" },
        { "slash in member id", r => r.MemberId = "a/b", "member_id" },
        { "no lines", r => r.Lines.Clear(), "lines" },
        { "coupon typo", r => r.CouponCode = "ABCD-EFGH-JKMN-PQ", "coupon_code" },
    };

    [Theory]
    [MemberData(nameof(BadCommits))]
    public async Task Bad_input_is_invalid_argument_naming_the_field_and_changes_nothing(string because, Action<CommitRequest> spoil, string field)
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        var request = Sales.Commit(program, member, "bad-" + Guid.NewGuid().ToString("N")[..6]);
        spoil(request);

        var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(request).ResponseAsync);

        Assert.True(refusal.StatusCode == StatusCode.InvalidArgument, because);
        Assert.Equal(field, refusal.Field());
        Assert.Equal(0, (await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance.Available);
    }

    [Theory]
    [InlineData("Ana\nBo")]
    [InlineData("Ana\u2028Bo")] // line separator
    [InlineData("Ana\u2029Bo")] // paragraph separator
    [InlineData("Ana\u202Eevil")] // right-to-left override
    [InlineData("A\u200Bna")] // zero-width space
    public async Task A_name_with_a_line_break_or_an_invisible_format_character_is_refused_and_enrolls_nobody(string name)
    {
        var program = await fixture.NewProgramAsync();
        var member = "n-" + Guid.NewGuid().ToString("N")[..8];
        var refusal = await Assert.ThrowsAsync<RpcException>(() =>
            Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = member, Name = name }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "name"), (refusal.StatusCode, refusal.Field()));
        var missing = await Assert.ThrowsAsync<RpcException>(() =>
            Engine.OperatorPos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = member }).ResponseAsync);
        Assert.Equal("MEMBER_NOT_FOUND", missing.Reason());

        // A rename to it is refused too, and the name stays.
        await Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = program, MemberId = member, Name = "Ana" });
        var rename = await Assert.ThrowsAsync<RpcException>(() =>
            Engine.Pos.UpdateProfileAsync(new UpdateProfileRequest { ProgramId = program, MemberId = member, Name = name }).ResponseAsync);
        Assert.Equal((StatusCode.InvalidArgument, "name"), (rename.StatusCode, rename.Field()));
        Assert.Equal("Ana", (await Engine.OperatorPos.IdentifyAsync(new IdentifyRequest { ProgramId = program, MemberId = member })).Name);
    }

    [Fact]
    public async Task Unknown_program_member_and_coupon_are_not_found_with_a_reason()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);

        var noProgram = await Assert.ThrowsAsync<RpcException>(() =>
            Engine.Pos.EnrollAsync(new EnrollRequest { ProgramId = "no-such-program", MemberId = "m1" }).ResponseAsync);
        var noMember = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(Sales.Commit(program, "nobody", "t")).ResponseAsync);
        var unknownCode = Loyalty.Domain.CouponCodes.Next();
        var noCoupon = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(Sales.Commit(program, member, "t", unknownCode)).ResponseAsync);

        Assert.Equal((StatusCode.NotFound, "PROGRAM_NOT_FOUND"), (noProgram.StatusCode, noProgram.Reason()));
        Assert.Equal((StatusCode.NotFound, "MEMBER_NOT_FOUND"), (noMember.StatusCode, noMember.Reason()));
        Assert.Equal((StatusCode.NotFound, "COUPON_NOT_FOUND"), (noCoupon.StatusCode, noCoupon.Reason()));
        Assert.Equal(0, (await Engine.Pos.GetBalanceAsync(new GetBalanceRequest { ProgramId = program, MemberId = member })).Balance.Available);
    }

    [Fact]
    public async Task A_currency_other_than_the_programs_is_refused()
    {
        var program = await fixture.NewProgramAsync();
        var member = await fixture.NewMemberAsync(program);
        var request = Sales.Commit(program, member, "usd");
        request.Currency = "USD";

        var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.Pos.CommitAsync(request).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "CURRENCY_MISMATCH", "currency"), (refusal.StatusCode, refusal.Reason(), refusal.Field()));
    }

    [Fact]
    public async Task Bad_program_settings_are_refused()
    {
        var refusal = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.UpsertProgramAsync(new LoyaltyProgram
        {
            ProgramId = "p-bad", Name = "x", Currency = "EURO", EarnPoints = 1, EarnPerAmount = 100, ExpiryMonths = 1,
        }).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, "currency"), (refusal.StatusCode, refusal.Field()));
        var missing = await Assert.ThrowsAsync<RpcException>(() => Engine.Admin.GetProgramAsync(new GetProgramRequest { ProgramId = "p-bad" }).ResponseAsync);
        Assert.Equal("PROGRAM_NOT_FOUND", missing.Reason());
    }
}
