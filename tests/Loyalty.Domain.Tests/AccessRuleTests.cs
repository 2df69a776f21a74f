using Loyalty.Contracts;
using Loyalty.Domain;

namespace Loyalty.Domain.Tests;

/// <summary>Tokens and who may do what (issue #13); the same rules over real gRPC: Host.Tests/AuthorizationTests.</summary>
public sealed class AccessRuleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static readonly byte[] Key = AccessTokens.MacKey("test-pepper");

    [Fact]
    public void A_new_token_names_its_credential_and_verifies_only_itself()
    {
        var issued = AccessTokens.New(AccessRole.Terminal, Key);
        Assert.StartsWith("pos_", issued.Token, StringComparison.Ordinal);
        Assert.Equal(new ParsedToken(TokenForm.Signed, issued.CredentialId), AccessTokens.Parse(issued.Token, Key));
        var credential = Terminal(issued, "p", "s1", "t1");
        Assert.True(AccessTokens.Verifies(credential, issued.Token));

        var other = AccessTokens.New(AccessRole.Terminal, Key);
        Assert.False(AccessTokens.Verifies(credential, other.Token));
        Assert.False(AccessTokens.Verifies(credential, issued.Token[..^1] + (issued.Token[^1] == 'A' ? 'B' : 'A')));
        Assert.False(AccessTokens.Verifies(credential with { RevokedAt = Now }, issued.Token));
        Assert.StartsWith("op_", AccessTokens.New(AccessRole.Marketer, Key).Token, StringComparison.Ordinal);
    }

    [Fact]
    public void A_token_carries_a_tag_under_the_server_key_and_any_change_or_another_key_makes_it_forged()
    {
        var token = AccessTokens.New(AccessRole.Terminal, Key).Token;
        var id = AccessTokens.Parse(token, Key).CredentialId;

        // pos_ + 16-hex id + _ + 43-character secret + _ + 22-character tag.
        Assert.Equal(4 + 16 + 1 + 43 + 1 + 22, token.Length);
        Assert.Equal('_', token[^23]);

        // Every single character of the id, the secret or the tag changed: forged, told without a lookup.
        for (var i = 4; i < token.Length; i++)
        {
            if (token[i] == '_' && (i == 20 || i == token.Length - 23))
            {
                continue; // the separators: changing one makes it malformed
            }

            var changed = token[..i] + (token[i] == 'a' ? 'b' : 'a') + token[(i + 1)..];
            Assert.Equal(TokenForm.Forged, AccessTokens.Parse(changed, Key).Form);
        }

        // Another server's key (another pepper, or none) does not agree.
        Assert.Equal(new ParsedToken(TokenForm.Forged, id), AccessTokens.Parse(token, AccessTokens.MacKey("another-pepper")));
        Assert.Equal(TokenForm.Forged, AccessTokens.Parse(token, AccessTokens.MacKey(string.Empty)).Form);
    }

    [Fact]
    public void A_token_from_before_tags_still_names_its_credential_as_legacy()
    {
        var tagged = AccessTokens.New(AccessRole.Operator, Key).Token;
        var legacy = tagged[..^23];
        Assert.Equal(new ParsedToken(TokenForm.Legacy, AccessTokens.Parse(tagged, Key).CredentialId), AccessTokens.Parse(legacy, Key));
        Assert.True(AccessTokens.Parse(legacy, Key).MayLookUp);
        Assert.False(AccessTokens.Parse(tagged[..^1], Key).MayLookUp);
    }

    [Theory]
    [InlineData("")]
    [InlineData("pos_")]
    [InlineData("pos_0123456789abcdef")]
    [InlineData("pos_0123456789ABCDEF_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // upper-case hex
    [InlineData("pos_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // secret one short
    [InlineData("pos_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")] // not base64url
    [InlineData("xx_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("pos_0123456789abcde/_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // a '/' would reach a grain key
    [InlineData("pos_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_AAAAAAAAAAAAAAAAAAAAA")] // tag one short
    [InlineData("pos_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA")] // no separator
    [InlineData("pos_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_AAAAAAAAAAAAAAAAAAAAA=")] // not base64url
    public void A_malformed_token_names_no_credential(string token)
    {
        Assert.Equal(ParsedToken.Malformed, AccessTokens.Parse(token, Key));
        Assert.False(AccessTokens.Parse(token, Key).MayLookUp);
    }

    [Fact]
    public void A_made_up_tag_of_the_right_shape_is_forged_and_names_no_lookup()
    {
        var parsed = AccessTokens.Parse("pos_0123456789abcdef_" + new string('A', 43) + "_" + new string('A', 22), Key);
        Assert.Equal(new ParsedToken(TokenForm.Forged, "0123456789abcdef"), parsed);
        Assert.False(parsed.MayLookUp);
    }

    [Fact]
    public void A_terminal_is_held_to_its_program_store_and_terminal_and_an_empty_field_takes_the_credentials()
    {
        var till = Terminal(AccessTokens.New(AccessRole.Terminal, Key), "p", "s1", "t1");
        AccessRules.EnsureTerminalCall(till, "p", "s1", "t1");
        AccessRules.EnsureTerminalCall(till, "p", null, string.Empty);
        Assert.Equal((ErrorReason.OutOfScope, "program_id"), Refusal(() => AccessRules.EnsureTerminalCall(till, "q", "s1", "t1")));
        Assert.Equal((ErrorReason.OutOfScope, "store_id"), Refusal(() => AccessRules.EnsureTerminalCall(till, "p", "s2", "t1")));
        Assert.Equal((ErrorReason.OutOfScope, "terminal_id"), Refusal(() => AccessRules.EnsureTerminalCall(till, "p", "s1", "t2")));
        Assert.Equal(ErrorReason.RoleNotAllowed, Refusal(() => AccessRules.EnsureAdmin(till, "p")).Reason);
        Assert.Equal(ErrorReason.RoleNotAllowed, Refusal(() => AccessRules.EnsureOperator(till)).Reason);
        Assert.Equal(ErrorReason.RoleNotAllowed, Refusal(() => AccessRules.EnsureAdminCredential(till)).Reason);
        Assert.False(AccessRules.MayAdminister(till, "p"));
    }

    [Fact]
    public void A_marketer_administers_only_the_listed_programs_and_an_operator_everything()
    {
        var marketer = Operator(AccessRole.Marketer, ["a", "b"]);
        AccessRules.EnsureAdmin(marketer, "b");
        Assert.Equal(ErrorReason.OutOfScope, Refusal(() => AccessRules.EnsureAdmin(marketer, "c")).Reason);
        Assert.Equal(ErrorReason.RoleNotAllowed, Refusal(() => AccessRules.EnsureOperator(marketer)).Reason);
        Assert.Equal(ErrorReason.RoleNotAllowed, Refusal(() => AccessRules.EnsureTerminalCall(marketer, "a", null, null)).Reason);
        AccessRules.EnsureAdminCredential(marketer);
        Assert.Equal((true, false), (AccessRules.MayAdminister(marketer, "a"), AccessRules.MayAdminister(marketer, "c")));

        var operatorToken = Operator(AccessRole.Operator, []);
        AccessRules.EnsureAdmin(operatorToken, "anything");
        AccessRules.EnsureOperator(operatorToken);
        AccessRules.EnsureAdminCredential(operatorToken);
        Assert.True(AccessRules.MayAdminister(operatorToken, "anything"));
        AccessRules.EnsureTerminalCall(operatorToken, "anything", "any-store", null);
    }

    [Fact]
    public void Marketer_tokens_name_1_to_100_valid_programs_and_operator_tokens_none()
    {
        Assert.Equal(["a", "b"], AccessRules.ValidPrograms(AccessRole.Marketer, ["a", "b", "a"]).ToArray());
        Assert.Equal("program_ids", Refusal(() => AccessRules.ValidPrograms(AccessRole.Marketer, [])).Field);
        Assert.Equal("program_ids", Refusal(() => AccessRules.ValidPrograms(AccessRole.Marketer, Enumerable.Range(0, 101).Select(i => $"p{i}"))).Field);
        Assert.Equal("program_ids", Refusal(() => AccessRules.ValidPrograms(AccessRole.Marketer, ["a/b"])).Field);
        Assert.Equal("program_ids", Refusal(() => AccessRules.ValidPrograms(AccessRole.Operator, ["a"])).Field);
        Assert.Empty(AccessRules.ValidPrograms(AccessRole.Operator, []));
        Assert.Equal("role", Refusal(() => AccessRules.ValidPrograms(AccessRole.Terminal, [])).Field);
    }

    [Fact]
    public void A_card_or_contact_change_needs_the_code_sent_to_the_member_or_an_operator_and_a_card_only_without_contacts()
    {
        string[] cards = ["c1", "c2"];
        var now = DateTimeOffset.Parse("2026-12-08T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var codes = new VerificationCodes();
        Profiles.EnsureProof(cards, false, new MemberProof("c2", false), codes, now, "x");
        Profiles.EnsureProof(cards, true, MemberProof.Operator, codes, now, "x");
        Assert.Equal((ErrorReason.MemberProofRequired, "presented_card_number"), Refusal(() => Profiles.EnsureProof(cards, false, new MemberProof(null, false), codes, now, "x")));
        Assert.Equal(ErrorReason.MemberProofRequired, Refusal(() => Profiles.EnsureProof(cards, false, new MemberProof("c3", false), codes, now, "x")).Reason);
        Assert.Equal(ErrorReason.MemberProofRequired, Refusal(() => Profiles.EnsureProof([], false, new MemberProof("c1", false), codes, now, "x")).Reason);

        // With a phone or e-mail on file a card is not enough: the code sent there is.
        Assert.Equal((ErrorReason.MemberProofRequired, "verification_code"), Refusal(() => Profiles.EnsureProof(cards, true, new MemberProof("c2", false), codes, now, "x")));
        var (code, expiresAt) = codes.Issue("till-1", now);
        Assert.Equal((6, now + VerificationCodes.Lifetime), (code.Length, expiresAt));
        Assert.Equal((ErrorReason.VerificationCodeInvalid, "verification_code"), Refusal(() => Profiles.EnsureProof(cards, true, new MemberProof(null, false, code, "till-2"), codes, now, "x")));
        Profiles.EnsureProof(cards, true, new MemberProof(null, false, code, "till-1"), codes, now.AddMinutes(9), "x");
        Assert.Equal(ErrorReason.VerificationCodeInvalid, Refusal(() => Profiles.EnsureProof(cards, true, new MemberProof(null, false, code, "till-1"), codes, now, "x")).Reason); // used
    }

    [Fact]
    public void A_verification_code_expires_is_voided_by_wrong_guesses_and_is_sent_at_most_three_times_per_window()
    {
        var now = DateTimeOffset.Parse("2026-12-08T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var codes = new VerificationCodes();
        var (expired, _) = codes.Issue("t", now);
        Assert.Equal(ErrorReason.VerificationCodeInvalid, Refusal(() => codes.Consume(expired, "t", now + VerificationCodes.Lifetime)).Reason);

        var (code, _) = codes.Issue("t", now);
        var wrong = code == "999999" ? "999998" : "999999";
        for (var left = VerificationCodes.MaxAttempts - 1; left >= 0; left--)
        {
            var refusal = Assert.Throws<LoyaltyException>(() => codes.Consume(wrong, "t", now));
            Assert.Contains(left == 0 ? "void" : $"{left} attempts left", refusal.Message, StringComparison.Ordinal);
        }

        Assert.Equal(ErrorReason.VerificationCodeInvalid, Refusal(() => codes.Consume(code, "t", now)).Reason);

        codes.Issue("t", now.AddMinutes(1)); // the third within 15 minutes
        Assert.Equal(ErrorReason.TooManyVerificationCodes, Refusal(() => codes.Issue("t", now.AddMinutes(2))).Reason);
        var (again, _) = codes.Issue("t", now + VerificationCodes.SendWindow);
        codes.Consume(again, "t", now + VerificationCodes.SendWindow);
    }

    [Theory]
    [InlineData("", "+420601222333", "a@b.cz", "sms", "•••33")]
    [InlineData("", null, "ada@example.com", "email", "a•••@example.com")]
    [InlineData("email", "+420601222333", "ada@example.com", "email", "a•••@example.com")]
    public void A_code_goes_to_the_phone_first_and_the_till_sees_where_only_masked(string asked, string? phone, string? email, string channel, string shown)
    {
        var (via, recipient) = VerificationCodes.Destination(asked, phone, email);
        Assert.Equal((channel, shown), (via, VerificationCodes.Masked(via, recipient)));
    }

    private static Credential Terminal(IssuedCredential issued, string program, string store, string terminal) =>
        new(issued.CredentialId, AccessRole.Terminal, AccessTokens.Hash(issued.Token), program, store, terminal, [], "till", Now, null);

    private static Credential Operator(AccessRole role, string[] programs) =>
        new("0123456789abcdef", role, new byte[32], null, null, null, [.. programs], "someone", Now, null);

    private static (ErrorReason Reason, string? Field) Refusal(Action action)
    {
        var refusal = Assert.Throws<LoyaltyException>(action);
        return (refusal.Reason, refusal.Field);
    }
}
