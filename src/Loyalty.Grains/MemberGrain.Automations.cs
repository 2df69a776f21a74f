using System.Collections.Immutable;
using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Grains;

/// <summary>
/// The member's side of automations (docs/automations.md). An occasion ("welcome", "birthday:2026",
/// "winback:2026-09-14", "expiring:202611", "referrer:friend") is recorded in the member's state with
/// its personal code before anything is created; the coupon and the message are then created
/// idempotently, and the occasion is marked done. A crash in between is finished by the next
/// attempt with the same code: never two coupons or two messages for one occasion.
/// </summary>
public sealed partial class MemberGrain
{
    public async Task<int> RunAutomationsAsync()
    {
        EnsureEnrolled();
        var s = state.State;
        var program = await Program();
        var now = clock.UtcNow;
        var fired = await FinishPendingAsync(program);
        foreach (var rule in program.Automations.IsDefault ? [] : program.Automations)
        {
            var (occasion, values) = Automations.Due(rule, s, program, now);
            if (occasion is not null && await FireAsync(rule, occasion, values))
            {
                fired++;
            }
        }

        await AfterPurchaseAsync(program);
        return fired;
    }

    public async Task RewardReferralAsync(string friendId)
    {
        EnsureEnrolled();
        var s = state.State;
        var program = await Program();
        var rule = Automations.RuleFor(program, AutomationKind.Referral);
        if (rule is null || !s.RewardReferral(friendId, rule.Points, clock.UtcNow))
        {
            return;
        }

        await PersistAsync();

        var (thanks, occasion, values) = Automations.ReferrerThanks(rule, friendId);
        await FireAsync(thanks, occasion, values);
    }

    /// <summary>Personal codes issued by automations that are still valid and not used (asked of the coupons, newest first).</summary>
    private async Task<ImmutableArray<PersonalCouponView>> PersonalCouponsAsync()
    {
        var now = clock.UtcNow;
        var issued = state.State.PersonalCodes(now);
        if (issued.Count == 0)
        {
            return [];
        }

        var statuses = await Task.WhenAll(issued.Select(r => GrainFactory.Grain<ICouponGrain>(Keys.Scoped(ProgramId, r.Code!)).GetAsync()));
        return [.. issued.Zip(statuses)
            .Where(p => Coupons.IsUsablePersonal(p.Second, now))
            .Select(p => new PersonalCouponView(p.First.Code!, p.First.Kind, p.Second.Definition))];
    }

    private async Task CheckReferrerAsync(string? referrerId)
    {
        if (referrerId is null)
        {
            return;
        }

        Profiles.EnsureNotSelf(referrerId, MemberId);

        try
        {
            await GrainFactory.Grain<IMemberGrain>(Keys.Scoped(ProgramId, referrerId)).GetAsync();
        }
        catch (LoyaltyException e) when (e.Reason == ErrorReason.MemberNotFound)
        {
            throw new LoyaltyException(ErrorReason.ReferrerNotFound, "the referring member is not enrolled");
        }
    }

    /// <summary>After enrollment is durable: the directory row, the welcome and the referred friend's coupon.</summary>
    private async Task AfterEnrollAsync(ProgramSettings program)
    {
        var s = state.State;
        await automationStore.UpsertMemberAsync(ProgramId, MemberId, s.BirthDate);
        await FinishPendingAsync(program);
        if (Automations.RuleFor(program, AutomationKind.Welcome) is { } welcome)
        {
            await FireAsync(welcome, "welcome", null);
        }

        if (s.ReferrerId is not null && Automations.RuleFor(program, AutomationKind.Referral) is { } referral)
        {
            await FireAsync(referral, "referral", null);
        }
    }

    /// <summary>
    /// After a durable purchase: a referred member's first purchase pays the referrer. Never fails the
    /// acknowledged commit; if the referrer cannot be reached now, the next commit or automation pass retries.
    /// </summary>
    private async Task AfterPurchaseAsync(ProgramSettings program)
    {
        var s = state.State;
        if (!s.OwesReferral(program))
        {
            return;
        }

        try
        {
            await GrainFactory.Grain<IMemberGrain>(Keys.Scoped(ProgramId, s.ReferrerId!)).RewardReferralAsync(MemberId);
            s.MarkReferralRewarded();
            await PersistAsync();
        }
        catch (Exception)
        {
            // The referrer counts each friend once, so trying again later is safe.
        }
    }

    /// <summary>
    /// Creates the coupons the sale issued. Never fails the acknowledged commit: a code that could not be
    /// created now is created by the member's next call or automation pass (it is a pending occasion).
    /// </summary>
    private async Task CreateIssuedCouponsAsync(ProgramSettings program, CommitResult result)
    {
        foreach (var issued in result.Campaigns.IsDefault ? [] : result.Campaigns.Where(c => c.IssuedCoupon is not null))
        {
            var occasion = MemberState.CampaignOccasion(issued.CampaignId, result.TransactionId);
            if (state.State.Automations.TryGetValue(occasion, out var run) && !run.Done && Automations.CampaignRule(program, occasion) is { } rule)
            {
                try
                {
                    await CompleteAsync(rule, occasion, run);
                }
                catch (Exception)
                {
                    // Left pending; finished later.
                }
            }
        }
    }

    /// <summary>
    /// A voided or fully returned sale's issued coupons: each code is withdrawn (a code not created yet is never created, nor
    /// announced). A code another sale already redeemed keeps that discount; it is reported, not reversed.
    /// </summary>
    private async Task<(ImmutableArray<string> Withdrawn, ImmutableArray<string> AlreadyUsed)> WithdrawIssuedCouponsAsync(CommitResult result)
    {
        var issued = result.Campaigns.IsDefault ? [] : result.Campaigns.Where(c => c.IssuedCoupon is not null).ToList();
        if (issued.Count == 0)
        {
            return ([], []);
        }

        var used = await Task.WhenAll(issued.Select(c =>
            GrainFactory.Grain<ICouponGrain>(Keys.Scoped(ProgramId, c.IssuedCoupon!)).WithdrawAsync(result.TransactionId)));

        var codes = issued.Zip(used).ToList();
        return ([.. codes.Where(p => !p.Second).Select(p => p.First.IssuedCoupon!)], [.. codes.Where(p => p.Second).Select(p => p.First.IssuedCoupon!)]);
    }

    private async Task<int> FinishPendingAsync(ProgramSettings program)
    {
        var fired = 0;
        foreach (var (occasion, run) in state.State.PendingOccasions())
        {
            if (Automations.RuleToFinish(program, occasion, run) is { } rule)
            {
                await CompleteAsync(rule, occasion, run);
                fired++;
            }
        }

        return fired;
    }

    /// <summary>Fires the occasion once: recorded (with its code) first, then coupon and message, then marked done.</summary>
    private async Task<bool> FireAsync(AutomationRule rule, string occasion, Dictionary<string, string>? values)
    {
        var s = state.State;
        if (s.Automations.ContainsKey(occasion))
        {
            return false;
        }

        var run = Automations.NewRun(rule, clock.UtcNow, values);
        s.RecordOccasion(occasion, run);
        await PersistAsync();
        await CompleteAsync(rule, occasion, run);
        return true;
    }

    private async Task CompleteAsync(AutomationRule rule, string occasion, AutomationRun run)
    {
        var s = state.State;
        if (run.Code is { } code && rule.Coupon is not null)
        {
            await GrainFactory.Grain<ICouponGrain>(Keys.Scoped(ProgramId, code)).CreateAsync(Automations.PersonalCoupon(rule, MemberId, run.At));
        }

        if (Automations.Message(rule, run, s.Name, s.MarketingConsent, Email, Phone) is { } message)
        {
            await automationStore.AppendMessageAsync(new OutboxMessage(
                ProgramId, MemberId, occasion, rule.Kind, message.Channel, personalData.SealRecipient(message.Recipient, ProgramId, MemberId)!, message.Text, run.Code, run.At));
        }

        s.CompleteOccasion(run);
        await PersistAsync();
    }
}
