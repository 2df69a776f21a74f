using System.Security.Cryptography;

namespace Loyalty.Domain.Tests;

/// <summary>Phone numbers and e-mail addresses sealed at rest (issue #13), with key rotation.</summary>
public sealed class SealingTests
{
    private static readonly string K1 = Sealing.NewKey("k1");
    private static readonly string K2 = Sealing.NewKey("k2");

    [Fact]
    public void A_sealed_value_opens_in_its_context_only_and_never_shows_the_plain_text()
    {
        var sealing = new Sealing(K1);
        var sealedPhone = sealing.Seal("+420601234567", "p/m1|phone")!;
        Assert.StartsWith("enc:v1:k1:", sealedPhone, StringComparison.Ordinal);
        Assert.DoesNotContain("601234567", sealedPhone, StringComparison.Ordinal);
        Assert.NotEqual(sealedPhone, sealing.Seal("+420601234567", "p/m1|phone")); // a fresh nonce each time
        Assert.Equal("+420601234567", sealing.Open(sealedPhone, "p/m1|phone"));

        // Copied to another member or another field, it does not open.
        Assert.ThrowsAny<CryptographicException>(() => sealing.Open(sealedPhone, "p/m2|phone"));
        Assert.ThrowsAny<CryptographicException>(() => sealing.Open(sealedPhone, "p/m1|email"));

        // Tampered with, it does not open either.
        var bytes = Convert.FromBase64String(sealedPhone["enc:v1:k1:".Length..]);
        bytes[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => sealing.Open("enc:v1:k1:" + Convert.ToBase64String(bytes), "p/m1|phone"));
        Assert.Null(sealing.Seal(null, "x"));
    }

    [Fact]
    public void Rotation_a_new_key_seals_the_old_one_still_opens_and_values_under_it_are_flagged_for_resealing()
    {
        var before = new Sealing(K1);
        var old = before.Seal("eva@example.com", "c")!;
        var rotated = new Sealing($"{K2},{K1}");
        Assert.Equal("eva@example.com", rotated.Open(old, "c"));
        Assert.True(rotated.NeedsResealing(old));
        var fresh = rotated.Seal("eva@example.com", "c")!;
        Assert.StartsWith("enc:v1:k2:", fresh, StringComparison.Ordinal);
        Assert.False(rotated.NeedsResealing(fresh));

        // Once the old key is removed, what it sealed no longer opens (and says which key it needs).
        var failure = Assert.ThrowsAny<CryptographicException>(() => new Sealing(K2).Open(old, "c"));
        Assert.Contains("'k1'", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_text_from_before_encryption_opens_as_it_is_and_is_flagged_for_sealing()
    {
        var sealing = new Sealing(K1);
        Assert.Equal("+420601234567", sealing.Open("+420601234567", "c"));
        Assert.True(sealing.NeedsResealing("+420601234567"));
        Assert.False(new Sealing(null).NeedsResealing("+420601234567")); // no keys: development, plain text
        Assert.Equal("x", new Sealing(string.Empty).Seal("x", "c"));
    }

    [Theory]
    [InlineData("k1")]
    [InlineData(":AAAA")]
    [InlineData("k1:not-base64!")]
    [InlineData("k1:c2hvcnQ=")]
    [InlineData("k/1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")]
    [InlineData("k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=,k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")]
    public void A_malformed_key_list_is_refused(string keys) => Assert.Throws<ArgumentException>(() => new Sealing(keys));
}
