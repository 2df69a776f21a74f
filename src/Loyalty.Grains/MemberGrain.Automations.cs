using System.Collections.Immutable;
using System.Globalization;
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
    /// <summary>Personal codes older than this are not looked up at Identify (automation coupons are valid for at most this long in practice).</summary>
    private static readonly TimeSpan MaxPersonalCouponAge = TimeSpan.FromDays(400);

    public async Task<int> RunAutomationsAsync()
    {
        EnsureEnrolled();
        var s = state.State;
        var program = await Program();
        var now = clock.UtcNow;
        var fired = await FinishPendingAsync(program);
        foreach (var rule in program.Automations.IsDefault ? [] : program.Automations)
        {
            var (occasion, values) = rule.Kind switch
            {
                AutomationKind.Birthday => (Automations.BirthdayOccasion(s.BirthDate, rule.Days, DateOnly.FromDateTime(now.UtcDateTime)), null),
                AutomationKind.WinBack => (Automations.WinBackOccasion(s.LastPurchaseAt, rule.Days, now), null),
                AutomationKind.PointsExpiring => ExpiringOccasion(program, rule, now),
                _ => ((string?)null, (Dictionary<string, string>?)null),
            };
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
        var rule = Rule(program, AutomationKind.Referral);
        if (rule is null || !s.RewardReferral(friendId, rule.Points, clock.UtcNow))
        {
            return;
        }

        await PersistAsync();

        // The referrer's thank-you carries the points, not a coupon.
        await FireAsync(rule with { Coupon = null }, "referrer:" + friendId, new() { ["points"] = rule.Points.ToString(CultureInfo.InvariantCulture) });
    }

    /// <summary>Personal codes issued by automations that are still valid and not used (asked of the coupons, newest first).</summary>
    private async Task<ImmutableArray<PersonalCouponView>> PersonalCouponsAsync()
    {
        var now = clock.UtcNow;
        var issued = state.State.Automations.Values
            .Where(r => r is { Done: true, Withdrawn: false, Code: not null } && now - r.At < MaxPersonalCouponAge)
            .OrderByDescending(r => r.At)
            .Take(10)
            .ToList();
        if (issued.Count == 0)
        {
            return [];
        }

        var statuses = await Task.WhenAll(issued.Select(r => GrainFactory.Grain<ICouponGrain>(Keys.Scoped(ProgramId, r.Code!)).GetAsync()));
        return [.. issued.Zip(statuses)
            .Where(p => p.Second is { RedeemedByTransaction: null, PendingHolds: 0, WithdrawnAt: null } && !(p.Second.Definition.ValidUntil <= now))
            .Select(p => new PersonalCouponView(p.First.Code!, p.First.Kind, p.Second.Definition))];
    }

    private async Task CheckReferrerAsync(string? referrerId)
    {
        if (referrerId is null)
        {
            return;
        }

        if (referrerId == MemberId)
        {
            throw new LoyaltyException(ErrorReason.SelfReferral, "a member cannot refer themselves");
        }

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
        if (Rule(program, AutomationKind.Welcome) is { } welcome)
        {
            await FireAsync(welcome, "welcome", null);
        }

        if (s.ReferrerId is not null && Rule(program, AutomationKind.Referral) is { } referral)
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
        if (s.ReferrerId is not { } referrer || s.ReferralRewarded || s.Spend.Purchases == 0 || Rule(program, AutomationKind.Referral) is null)
        {
            return;
        }

        try
        {
            await GrainFactory.Grain<IMemberGrain>(Keys.Scoped(ProgramId, referrer)).RewardReferralAsync(MemberId);
            s.MarkReferralRewarded();
            await PersistAsync();
        }
        catch (Exception)
        {
            // The referrer counts each friend once, so trying again later is safe.
        }
    }

    private (string? Occasion, Dictionary<string, string>? Values) ExpiringOccasion(ProgramSettings program, AutomationRule rule, DateTimeOffset now)
    {
        var expiring = Ledger.View(Account, program.ExpiryMonths, now).ExpiringThisMonth;
        var occasion = Automations.ExpiringOccasion(expiring, rule.Days, now);
        var lastDay = Months.Start(Months.Add(Months.Of(now), 1)).AddDays(-1);
        return (occasion, new()
        {
            ["points"] = expiring.ToString(CultureInfo.InvariantCulture),
            ["expires_on"] = lastDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        });
    }

    /// <summary>Issue-coupon campaigns that applied get their personal code now, so it is on the receipt.</summary>
    private static PricedBasket IssueCodes(PricedBasket plan) =>
        plan.Campaigns.Any(c => c.IssuesCoupon)
            ? plan with { Campaigns = [.. plan.Campaigns.Select(c => c.IssuesCoupon ? c with { IssuedCoupon = CouponCodes.Next() } : c)] }
            : plan;

    /// <summary>
    /// Creates the coupons the sale issued. Never fails the acknowledged commit: a code that could not be
    /// created now is created by the member's next call or automation pass (it is a pending occasion).
    /// </summary>
    private async Task CreateIssuedCouponsAsync(ProgramSettings program, CommitResult result)
    {
        foreach (var issued in result.Campaigns.IsDefault ? [] : result.Campaigns.Where(c => c.IssuedCoupon is not null))
        {
            var occasion = MemberState.CampaignOccasion(issued.CampaignId, result.TransactionId);
            if (state.State.Automations.TryGetValue(occasion, out var run) && !run.Done && CampaignRule(program, occasion) is { } rule)
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

    /// <summary>The issue-coupon campaign named in a "campaign:id:transaction" occasion, as an automation rule without a message.</summary>
    private static AutomationRule? CampaignRule(ProgramSettings program, string occasion)
    {
        var campaignId = occasion.Split(':')[1];
        var campaign = program.Campaigns.IsDefault ? null : program.Campaigns.FirstOrDefault(c => c.CampaignId == campaignId && c.Coupon is not null);
        return campaign is null ? null : new AutomationRule(AutomationKind.CampaignCoupon, string.Empty, campaign.Coupon, campaign.CouponValidDays);
    }

    private async Task<int> FinishPendingAsync(ProgramSettings program)
    {
        var fired = 0;
        foreach (var (occasion, run) in state.State.Automations.Where(a => !a.Value.Done).ToList())
        {
            var found = run.Kind == AutomationKind.CampaignCoupon ? CampaignRule(program, occasion) : Rule(program, run.Kind);
            if (found is { } rule)
            {
                await CompleteAsync(occasion.StartsWith("referrer:", StringComparison.Ordinal) ? rule with { Coupon = null } : rule, occasion, run);
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

        var run = new AutomationRun
        {
            Kind = rule.Kind,
            Code = rule.Coupon is null ? null : CouponCodes.Next(),
            At = clock.UtcNow,
            Values = values ?? [],
        };
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

        // Messages need the member's consent and an address; the coupon is issued either way (Identify shows it).
        var (channel, recipient) = Email is { } email ? ("email", email) : Phone is { } phone ? ("sms", phone) : (null, null);
        if (s.MarketingConsent && channel is not null && rule.Template.Length > 0)
        {
            var values = new Dictionary<string, string>(run.Values)
            {
                ["name"] = s.Name ?? string.Empty,
                ["code"] = run.Code ?? string.Empty,
                ["days"] = rule.Days.ToString(CultureInfo.InvariantCulture),
            };
            await automationStore.AppendMessageAsync(new OutboxMessage(
                ProgramId, MemberId, occasion, rule.Kind, channel, personalData.SealRecipient(recipient, ProgramId, MemberId)!, Automations.Render(rule.Template, values), run.Code, run.At));
        }

        run.Done = true;
        await PersistAsync();
    }

    private static AutomationRule? Rule(ProgramSettings program, AutomationKind kind) =>
        program.Automations.IsDefault ? null : program.Automations.FirstOrDefault(a => a.Kind == kind);
}
