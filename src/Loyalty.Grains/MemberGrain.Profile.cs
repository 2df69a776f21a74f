using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Grains;

/// <summary>The member's profile: enrollment, identification, cards and contacts (the rules are the aggregate's, <see cref="MemberState"/>).</summary>
public sealed partial class MemberGrain
{
    // The one-time codes sent for card and contact changes at a till: in this activation only (a lost one is asked for again).
    private VerificationCodes? _codes;

    public async Task<MemberView> EnrollAsync(EnrollCommand command)
    {
        var s = state.State;
        var program = await Program();
        if (s.Enrolled)
        {
            s.EnsureSameEnrollment(command, Phone, Email);

            // A retried enrollment finishes what the first attempt may not have (welcome coupon, message).
            await AfterEnrollAsync(program);
            return View(program);
        }

        await CheckReferrerAsync(command.ReferrerId);

        // The card and the phone are claimed by the enrollment's own write (one transaction): a key another
        // member holds refuses it whole (CARD_IN_USE, PHONE_IN_USE) and nothing of it is kept.
        if (command.CardNumber is { } card)
        {
            StageKey(MemberKeys.Card, card, KeyOperation.Claim);
        }

        if (command.Profile?.Phone is { } phone)
        {
            StageKey(MemberKeys.Phone, personalData.PhoneKey(ProgramId, phone), KeyOperation.Claim);
        }

        var now = clock.UtcNow;
        s.Enroll(program, command.Name, command.BirthDate, command.CardNumber, command.ReferrerId, now);
        ApplyProfile(program, command.Profile, now);
        await PersistAsync();
        await AfterEnrollAsync(program);
        return View(program);
    }

    public async Task<MemberView> GetAsync()
    {
        EnsureEnrolled();
        return View(await Program());
    }

    public Task<MemberView> IdentifyAsync() => IdentifyAtAsync(null, null);

    public Task<MemberView> IdentifyByKeyAsync(string kind, string key, string? storeId, string? channel) => IdentifyByKeyAsync(kind, key, storeId, channel, null);

    public Task<MemberView> IdentifyByKeyAsync(string kind, string key, string? storeId, string? channel, string? terminal)
    {
        EnsureEnrolled();
        state.State.EnsureHoldsKey(kind, key, kind == MemberKeys.Phone && Phone is { } phone ? personalData.PhoneKey(ProgramId, phone) : null);
        if (terminal is not null)
        {
            (_presence ??= new()).Identified(terminal, clock.UtcNow);
        }

        return IdentifyAtAsync(storeId, channel);
    }

    public async Task<MemberView> IdentifyAtAsync(string? storeId, string? channel)
    {
        EnsureEnrolled();
        var program = await Program();
        var view = View(program);
        var offers = program.Campaigns.IsDefaultOrEmpty
            ? []
            : Promotions.Offers(program, new PromotionContext(clock.UtcNow, storeId, channel, null, Facts()), view.Tier?.Level);
        return view with { Coupons = await PersonalCouponsAsync(), Offers = offers };
    }

    public async Task<MemberView> ReplaceCardAsync(string? lostCard, string newCard, MemberProof proof)
    {
        EnsureEnrolled();
        var program = await Program();

        // The new card is claimed and the lost one blocked by the member's own write (one transaction).
        var (added, blocked) = state.State.ReplaceCard(lostCard, newCard, proof, _codes ??= new(), clock.UtcNow);
        if (added)
        {
            StageKey(MemberKeys.Card, newCard, KeyOperation.Claim);
        }

        if (blocked)
        {
            StageKey(MemberKeys.Card, lostCard!, KeyOperation.Block);
        }

        if (added || blocked)
        {
            await PersistAsync();
        }

        return View(program);
    }

    public async Task<MemberView> UpdateProfileAsync(ProfileUpdate update, MemberProof proof)
    {
        EnsureEnrolled();
        var s = state.State;
        s.EnsureMayChangeContacts(update.Profile, Phone, Email, proof, _codes ??= new(), clock.UtcNow);

        var program = await Program();
        var oldPhone = Phone;
        if (update.Profile.Phone is { } phone && phone != oldPhone)
        {
            // The new number is bound and the old one let go by the profile's own write (one transaction).
            StageKey(MemberKeys.Phone, personalData.PhoneKey(ProgramId, phone), KeyOperation.Claim);
            if (oldPhone is not null)
            {
                StageKey(MemberKeys.Phone, personalData.PhoneKey(ProgramId, oldPhone), KeyOperation.Release);
            }
        }

        var birthDateChanged = s.ChangeProfile(update.Name, update.BirthDate);
        ApplyProfile(program, update.Profile, clock.UtcNow);
        await PersistAsync();

        if (birthDateChanged)
        {
            await automationStore.UpsertMemberAsync(ProgramId, MemberId, s.BirthDate);
        }

        return View(program);
    }
    public async Task<VerificationCodeSent> SendVerificationCodeAsync(string terminal, string? channel)
    {
        EnsureEnrolled();
        var program = await Program();
        var (via, recipient) = VerificationCodes.Destination(channel, Phone, Email);
        var now = clock.UtcNow;
        var (code, expiresAt) = (_codes ??= new()).Issue(terminal, now);

        // Queued for the sender whatever the marketing consent (it is the member's own request); keyed by the time it
        // was asked for, so every code is a message of its own. The till learns only where it went.
        await automationStore.AppendMessageAsync(new OutboxMessage(
            ProgramId, MemberId, $"verification:{now.UtcTicks}", AutomationKind.VerificationCode, via,
            personalData.SealRecipient(recipient, ProgramId, MemberId)!, VerificationCodes.Message(program.Name, code, expiresAt), null, now));
        return new VerificationCodeSent(via, VerificationCodes.Masked(via, recipient), expiresAt);
    }

    /// <summary>The profile's given parts, its contacts sealed at rest (a value that did not change keeps its sealed form).</summary>
    private void ApplyProfile(ProgramSettings program, MemberProfile? profile, DateTimeOffset now)
    {
        var sealedPhone = profile?.Phone is { } phone && phone != Phone ? personalData.Seal(phone, this.GetPrimaryKeyString(), "phone") : null;
        var sealedEmail = profile?.Email is { } email && email != Email ? personalData.Seal(email, this.GetPrimaryKeyString(), "email") : null;
        state.State.ApplyProfile(program, profile, sealedPhone, sealedEmail, now);
    }

    private MemberView View(ProgramSettings program) => state.State.View(MemberId, program, clock.UtcNow);
}
