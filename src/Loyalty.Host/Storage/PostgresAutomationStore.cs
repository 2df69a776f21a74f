using Loyalty.Contracts;
using Loyalty.Domain;
using Loyalty.Grains;
using Npgsql;
using NpgsqlTypes;

namespace Loyalty.Host.Storage;

/// <summary>
/// Automation candidates and the message outbox in PostgreSQL (deploy/sql/006_automations.sql).
/// Candidate queries are deliberately loose (a superset); each member decides exactly.
/// </summary>
internal sealed class PostgresAutomationStore(NpgsqlDataSource dataSource) : IAutomationStore
{
    private const string UpsertMemberSql = """
        INSERT INTO member_directory (program_id, member_id, birth_month, birth_day, updated_at)
        VALUES (@program, @member, @month, @day, now())
        ON CONFLICT ON CONSTRAINT member_directory_pk
        DO UPDATE SET birth_month = excluded.birth_month, birth_day = excluded.birth_day, updated_at = now()
        """;

    // Birthdays in the lead window; members whose last purchase crossed the win-back age since the
    // previous pass (a purchase in the lapse window and none after it: a range of the time index plus
    // one probe of the member's own entries each, not a scan of the program's whole ledger); members
    // holding points of the month that expires at the end of this one.
    private const string CandidatesSql = """
        SELECT member_id FROM member_directory
        WHERE @birthday AND program_id = @program AND birth_month * 100 + birth_day = ANY(@days)
        UNION
        SELECT e.member_id FROM ledger_entries e
        WHERE @winback AND e.program_id = @program AND e.entry_type = 'earn'
          AND e.occurred_at > @lapse_from AND e.occurred_at <= @lapse_to
          AND NOT EXISTS (
              SELECT 1 FROM ledger_entries later
              WHERE later.program_id = e.program_id AND later.member_id = e.member_id
                AND later.entry_type = 'earn' AND later.occurred_at > @lapse_to)
        UNION
        SELECT DISTINCT member_id FROM ledger_entries
        WHERE @expiring AND program_id = @program AND asset = 'points' AND bucket_month = @expiring_month
        """;

    private const string AppendMessageSql = """
        INSERT INTO member_messages (program_id, member_id, message_key, kind, channel, recipient, body, coupon_code, created_at)
        VALUES (@program, @member, @key, @kind, @channel, @recipient, @body, @code, @at)
        ON CONFLICT ON CONSTRAINT member_messages_pk DO NOTHING
        """;

    private const string ListMessagesSql = """
        SELECT member_id, message_key, kind, channel, recipient, body, coupon_code, created_at
        FROM member_messages
        WHERE program_id = @program AND (@member::text IS NULL OR member_id = @member)
        ORDER BY created_at, member_id, message_key
        LIMIT @limit
        """;

    public async Task UpsertMemberAsync(string programId, string memberId, DateOnly? birthDate, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(UpsertMemberSql);
        command.Parameters.AddWithValue("program", programId);
        command.Parameters.AddWithValue("member", memberId);
        command.Parameters.Add(new NpgsqlParameter<short?>("month", NpgsqlDbType.Smallint) { TypedValue = (short?)birthDate?.Month });
        command.Parameters.Add(new NpgsqlParameter<short?>("day", NpgsqlDbType.Smallint) { TypedValue = (short?)birthDate?.Day });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<string>> CandidatesAsync(ProgramSettings program, AutomationWindow window, CancellationToken cancellationToken = default)
    {
        var programId = program.ProgramId;
        var rules = program.Automations.IsDefault ? [] : program.Automations;
        var birthday = rules.FirstOrDefault(r => r.Kind == AutomationKind.Birthday);
        var winBack = rules.FirstOrDefault(r => r.Kind == AutomationKind.WinBack);
        var expiring = rules.FirstOrDefault(r => r.Kind == AutomationKind.PointsExpiring);
        var thisMonth = Months.Of(window.To);
        await using var command = dataSource.CreateCommand(CandidatesSql);
        command.Parameters.AddWithValue("program", programId);
        command.Parameters.AddWithValue("birthday", birthday is not null);
        command.Parameters.AddWithValue("days", BirthdayKeys(DateOnly.FromDateTime(window.To.UtcDateTime), birthday?.Days ?? 0));
        command.Parameters.AddWithValue("winback", winBack is not null);
        command.Parameters.AddWithValue("lapse_from", window.From.AddDays(-(winBack?.Days ?? 0)).UtcDateTime);
        command.Parameters.AddWithValue("lapse_to", window.To.AddDays(-(winBack?.Days ?? 0)).UtcDateTime);
        command.Parameters.AddWithValue("expiring", expiring is not null && program.ExpiryMonths > 0);
        command.Parameters.AddWithValue("expiring_month", Months.Add(thisMonth, -program.ExpiryMonths));
        var members = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            members.Add(reader.GetString(0));
        }

        return members;
    }

    public async Task AppendMessageAsync(OutboxMessage message, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(AppendMessageSql);
        command.Parameters.AddWithValue("program", message.ProgramId);
        command.Parameters.AddWithValue("member", message.MemberId);
        command.Parameters.AddWithValue("key", message.Key);
        command.Parameters.AddWithValue("kind", KindName(message.Kind));
        command.Parameters.AddWithValue("channel", message.Channel);
        command.Parameters.AddWithValue("recipient", message.Recipient);
        command.Parameters.AddWithValue("body", message.Body);
        command.Parameters.Add(new NpgsqlParameter<string?>("code", NpgsqlDbType.Text) { TypedValue = message.CouponCode });
        command.Parameters.AddWithValue("at", message.CreatedAt.UtcDateTime);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<OutboxMessage>> ListMessagesAsync(string programId, string? memberId, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(ListMessagesSql);
        command.Parameters.AddWithValue("program", programId);
        command.Parameters.Add(new NpgsqlParameter<string?>("member", NpgsqlDbType.Text) { TypedValue = memberId });
        command.Parameters.AddWithValue("limit", limit);
        var messages = new List<OutboxMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            messages.Add(new OutboxMessage(
                programId,
                reader.GetString(0),
                reader.GetString(1),
                Enum.GetValues<AutomationKind>().First(k => KindName(k) == reader.GetString(2)),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                new DateTimeOffset(reader.GetDateTime(7), TimeSpan.Zero)));
        }

        return messages;
    }

    public static string KindName(AutomationKind kind) => kind switch
    {
        AutomationKind.Welcome => "welcome",
        AutomationKind.Birthday => "birthday",
        AutomationKind.WinBack => "win_back",
        AutomationKind.Referral => "referral",
        AutomationKind.PointsExpiring => "points_expiring",
        AutomationKind.CampaignCoupon => "campaign_coupon",
        AutomationKind.VerificationCode => "verification_code",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>month*100+day of every date from today through the lead window (Feb 29 birthdays count on Feb 28 in other years).</summary>
    private static int[] BirthdayKeys(DateOnly today, int leadDays)
    {
        var keys = new List<int>();
        for (var d = today; d.DayNumber <= today.DayNumber + leadDays; d = d.AddDays(1))
        {
            keys.Add((d.Month * 100) + d.Day);
            if (d is { Month: 2, Day: 28 } && !DateTime.IsLeapYear(d.Year))
            {
                keys.Add(229);
            }
        }

        return [.. keys];
    }
}
