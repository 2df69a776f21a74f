using System.Security.Cryptography;
using System.Text;
using Loyalty.Contracts;

namespace Loyalty.Domain;

/// <summary>
/// A stable digest of a commit's body, kept with the idempotency record: a retry with the same
/// transaction id must carry the same body; anything else is a reused id and is refused.
/// </summary>
public static class Fingerprints
{
    public static string Of(CommitCommand command)
    {
        // Strings are length-prefixed so no choice of sku or category text can make two bodies collide.
        var text = new StringBuilder();
        Field(text, command.StoreId);
        Field(text, command.TerminalId);
        Field(text, command.CouponCode ?? string.Empty);
        foreach (var line in command.Lines)
        {
            Field(text, line.Sku);
            Field(text, line.Category);
            text.Append(line.Quantity).Append(',').Append(line.UnitPrice).Append(',').Append(line.OnSale ? '1' : '0').Append(';');
        }

        text.Append(command.PointsToSpend).Append('|').Append(command.OccurredAt?.ToUnixTimeMilliseconds() ?? 0).Append('|').Append(command.CreditToSpend);
        foreach (var reward in command.RewardIds.IsDefault ? [] : command.RewardIds)
        {
            Field(text, reward);
        }

        // Only when given, so bodies without them keep the fingerprints already stored.
        if (command.Channel is not null || command.PaymentMethod is not null)
        {
            text.Append("|cp");
            Field(text, command.Channel ?? string.Empty);
            Field(text, command.PaymentMethod ?? string.Empty);
        }

        if (command.ExpectedTotal is { } expected)
        {
            text.Append("|t").Append(expected);
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 0, 16);
    }

    public static string Of(RefundCommand command)
    {
        var text = new StringBuilder();
        Field(text, command.TransactionId);
        foreach (var line in command.Lines)
        {
            text.Append(line.LineIndex).Append(',').Append(line.Quantity).Append(';');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 0, 16);
    }

    private static void Field(StringBuilder text, string value) => text.Append(value.Length).Append(':').Append(value);
}
