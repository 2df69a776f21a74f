using System.Collections.Immutable;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Loyalty.Contracts;
using Loyalty.Domain;
using Npgsql;

namespace Loyalty.Baseline;

internal sealed record MemberRow(string MemberId, string? Name, DateTimeOffset EnrolledAt, List<string> Cards, Dictionary<int, long> Buckets);

internal sealed record SaleRow(
    string MemberId,
    string Fingerprint,
    CommitResult Result,
    DateTimeOffset? VoidedAt,
    long? VoidPointsRemoved,
    long? VoidAvailableAfter);

internal sealed record CouponRow(CouponDefinition Definition, string? RedeemedByTransaction, DateTimeOffset? RedeemedAt);

/// <summary>
/// All SQL of the baseline. A commit is one READ COMMITTED transaction: lock the member row
/// (SELECT … FOR UPDATE, which serializes one member's sales like a grain would), find an earlier
/// sale with this transaction id (the idempotency record), reserve the campaign's budget row, redeem
/// the coupon with a conditional UPDATE (… WHERE redeemed_by_tx IS NULL: of a thousand racing terminals
/// exactly one matches), add the points to the month's bucket, insert the sale, commit. A guest's sale
/// (no member) locks no member: it looks for its transaction id first, then takes the same steps without
/// points, and a racing retry of it meets the first one's coupon or sale key and is answered from that row.
/// Lock order is always member (a guest's void: its sale row), then campaign, then coupon.
/// </summary>
internal sealed class Store(NpgsqlDataSource db, TimeProvider clock)
{
    /// <summary>The member id a guest's sale is recorded under (as on the engine: its sale row's member_id is '').</summary>
    public const string GuestMemberId = "";

    private const string SaleSql = """
        SELECT member_id, fingerprint, subtotal, discount, total, points_earned, earn_month, coupon_code, available_after, committed_at,
               voided_at, void_points_removed, void_available_after, campaign_id, campaign_discount
        FROM sales WHERE program_id = $1 AND transaction_id = $2
        """;

    private static readonly long ProgramCacheTicks = Stopwatch.Frequency * 5;
    private readonly ConcurrentDictionary<string, (ProgramSettings Settings, long At)> _programs = new(StringComparer.Ordinal);

    /// <summary>Now, to the microsecond: what a timestamptz column keeps, so a retried commit answers with the very same time.</summary>
    public DateTimeOffset Now
    {
        get
        {
            var now = clock.GetUtcNow();
            return now.AddTicks(-(now.Ticks % 10));
        }
    }

    // ---- programs (cached for 5 s, as any service would: they change a few times a year) ----

    public async Task<ProgramSettings> ProgramAsync(string programId, CancellationToken ct)
    {
        if (_programs.TryGetValue(programId, out var cached) && Stopwatch.GetTimestamp() - cached.At < ProgramCacheTicks)
        {
            return cached.Settings;
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Cmd("SELECT name, currency, earn_points, earn_per_amount, expiry_months FROM programs WHERE program_id = $1", programId),
                Cmd(
                    """
                    SELECT campaign_id, name, kind, value, max_discount, min_basket, valid_from, valid_until, priority, max_redemptions, max_discount_money
                    FROM campaigns WHERE program_id = $1 ORDER BY campaign_id
                    """,
                    programId),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            throw new LoyaltyException(ErrorReason.ProgramNotFound, "no such program");
        }

        var settings = new ProgramSettings(programId, reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt32(4));
        await reader.NextResultAsync(ct);
        var campaigns = ImmutableArray.CreateBuilder<CampaignDefinition>();
        while (await reader.ReadAsync(ct))
        {
            campaigns.Add(new CampaignDefinition(
                reader.GetString(0),
                reader.GetString(1),
                (CampaignKind)reader.GetInt16(2),
                reader.GetInt64(3),
                reader.GetInt64(4),
                reader.GetInt64(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                reader.GetInt32(8),
                reader.GetInt64(9),
                reader.GetInt64(10)));
        }

        settings = settings with { Campaigns = campaigns.ToImmutable() };
        _programs[programId] = (settings, Stopwatch.GetTimestamp());
        return settings;
    }

    /// <summary>Creates or replaces a campaign's terms; its budget counters are kept.</summary>
    public async Task DefineCampaignAsync(string programId, CampaignDefinition c, CancellationToken ct)
    {
        await ProgramAsync(programId, ct);
        await using var command = db.CreateCommand("""
            INSERT INTO campaigns (program_id, campaign_id, name, kind, value, max_discount, min_basket, valid_from, valid_until, priority, max_redemptions, max_discount_money)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            ON CONFLICT (program_id, campaign_id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, value = EXCLUDED.value,
                max_discount = EXCLUDED.max_discount, min_basket = EXCLUDED.min_basket, valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until,
                priority = EXCLUDED.priority, max_redemptions = EXCLUDED.max_redemptions, max_discount_money = EXCLUDED.max_discount_money
            """);
        command.Parameters.AddRange(new NpgsqlParameter[]
        {
            P(programId), P(c.CampaignId), P(c.Name), P((short)c.Kind), P(c.Value), P(c.MaxDiscount), P(c.MinBasket),
            Time(c.ValidFrom), Time(c.ValidUntil), P(c.Priority), P(c.MaxRedemptions), P(c.MaxDiscountMoney),
        });
        await command.ExecuteNonQueryAsync(ct);
        _programs.TryRemove(programId, out _);
    }

    /// <summary>Budget counters by campaign id.</summary>
    public async Task<Dictionary<string, (long Redemptions, long DiscountGiven)>> CampaignCountersAsync(string programId, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT campaign_id, redemptions, discount_given FROM campaigns WHERE program_id = $1");
        command.Parameters.Add(P(programId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        var counters = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            counters[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        }

        return counters;
    }

    public async Task<ProgramSettings> UpsertProgramAsync(ProgramSettings s, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            INSERT INTO programs (program_id, name, currency, earn_points, earn_per_amount, expiry_months) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (program_id) DO UPDATE SET name = EXCLUDED.name, currency = EXCLUDED.currency, earn_points = EXCLUDED.earn_points,
                earn_per_amount = EXCLUDED.earn_per_amount, expiry_months = EXCLUDED.expiry_months
            """);
        command.Parameters.AddRange(new NpgsqlParameter[] { P(s.ProgramId), P(s.Name), P(s.Currency), P(s.EarnPoints), P(s.EarnPerAmount), P(s.ExpiryMonths) });
        await command.ExecuteNonQueryAsync(ct);
        _programs.TryRemove(s.ProgramId, out _);
        return s;
    }

    // ---- members ----

    public async Task<MemberRow?> MemberAsync(string programId, string memberId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await MemberAsync(connection, null, programId, memberId, ct);
    }

    public async Task<Dictionary<int, long>?> BucketsAsync(string programId, string memberId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                Cmd("SELECT 1 FROM members WHERE program_id = $1 AND member_id = $2", programId, memberId),
                Cmd("SELECT month, points FROM point_buckets WHERE program_id = $1 AND member_id = $2", programId, memberId),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        var exists = await reader.ReadAsync(ct);
        await reader.NextResultAsync(ct);
        var buckets = await ReadBucketsAsync(reader, ct);
        return exists ? buckets : null;
    }

    public async Task<bool> MemberExistsAsync(string programId, string memberId, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT 1 FROM members WHERE program_id = $1 AND member_id = $2");
        command.Parameters.AddRange(new NpgsqlParameter[] { P(programId), P(memberId) });
        return await command.ExecuteScalarAsync(ct) is not null;
    }

    public async Task<string?> CardOwnerAsync(string programId, string card, CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT member_id FROM cards WHERE program_id = $1 AND card_number = $2");
        command.Parameters.AddRange(new NpgsqlParameter[] { P(programId), P(card) });
        return await command.ExecuteScalarAsync(ct) as string;
    }

    public async Task<MemberRow> EnrollAsync(string programId, string? memberId, string? card, string? name, CancellationToken ct)
    {
        await ProgramAsync(programId, ct);
        memberId ??= await CardOwnerAsync(programId, card!, ct) ?? "m" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var insert = new NpgsqlCommand("INSERT INTO members (program_id, member_id, name, enrolled_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", connection, transaction))
        {
            insert.Parameters.AddRange(new NpgsqlParameter[] { P(programId), P(memberId), P(name), P(Now) });
            if (await insert.ExecuteNonQueryAsync(ct) == 0)
            {
                var existing = await MemberAsync(connection, transaction, programId, memberId, ct) ?? throw new InvalidOperationException("member vanished");
                var same = (name is null || name == existing.Name) && (card is null || existing.Cards.Contains(card));
                return same ? existing : throw new LoyaltyException(ErrorReason.MemberAlreadyEnrolled, "the member is already enrolled");
            }
        }

        if (card is not null)
        {
            // The first enrollment to insert the card owns it; a racing one sees no row or another owner.
            await using var claim = new NpgsqlCommand(
                """
                WITH claimed AS (
                    INSERT INTO cards (program_id, card_number, member_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING member_id)
                SELECT member_id FROM claimed
                UNION ALL SELECT member_id FROM cards WHERE program_id = $1 AND card_number = $2
                LIMIT 1
                """,
                connection,
                transaction);
            claim.Parameters.AddRange(new NpgsqlParameter[] { P(programId), P(card), P(memberId) });
            if (await claim.ExecuteScalarAsync(ct) as string != memberId)
            {
                throw new LoyaltyException(ErrorReason.CardInUse, "the card belongs to another member");
            }
        }

        var row = await MemberAsync(connection, transaction, programId, memberId, ct) ?? throw new InvalidOperationException("member vanished");
        await transaction.CommitAsync(ct);
        return row;
    }

    // ---- the checkout transaction ----

    /// <summary>
    /// Commits a member's sale, or a guest's when <paramref name="memberId"/> is null: no member row to lock and no
    /// points; the sale's key (program, transaction id) is its idempotency record and the only thing its retries share.
    /// </summary>
    public async Task<(CommitResult Result, long Available)> CommitAsync(string programId, string? memberId, CommitCommand command, CancellationToken ct)
    {
        var program = await ProgramAsync(programId, ct);
        var fingerprint = Fingerprints.Of(command);
        var owner = memberId ?? GuestMemberId;
        await using var connection = await db.OpenConnectionAsync(ct);
        if (memberId is null && await SaleAsync(connection, null, programId, command.TransactionId, forUpdate: false, ct) is { } retried)
        {
            return Answer(retried, owner, fingerprint);
        }

        await using var transaction = await connection.BeginTransactionAsync(ct);
        Dictionary<int, long>? buckets = null;
        if (memberId is not null)
        {
            (buckets, var earlier) = await LockMemberAsync(connection, transaction, programId, memberId, command.TransactionId, ct);
            if (earlier is not null)
            {
                return Answer(earlier, owner, fingerprint);
            }
        }

        var now = Now;
        AppliedCampaign? campaign;
        CouponDefinition? coupon = null;
        PricedBasket priced;
        try
        {
            var subtotal = Pricing.Validate(command.Lines);
            // The baseline keeps one campaign per sale (the first in the engine's walk order); its budget row is reserved.
            var promotions = new PromotionContext(now);
            campaign = Pricing.Price(command.Lines, program, null, null, default, promotions).Campaigns.FirstOrDefault();
            if (campaign is not null)
            {
                // The budget row is the hot spot of a flash sale: every racing terminal waits for this row lock.
                await using var reserve = new NpgsqlCommand(
                    """
                    UPDATE campaigns SET redemptions = redemptions + 1, discount_given = discount_given + $3
                    WHERE program_id = $1 AND campaign_id = $2
                      AND (max_redemptions = 0 OR redemptions + 1 <= max_redemptions)
                      AND (max_discount_money = 0 OR discount_given + $3 <= max_discount_money)
                    """,
                    connection,
                    transaction);
                reserve.Parameters.AddRange(new NpgsqlParameter[] { P(programId), P(campaign.CampaignId), P(campaign.Discount) });
                if (await reserve.ExecuteNonQueryAsync(ct) == 0)
                {
                    // Sold out since the quote: the sale goes on without it (as the engine does), unless the
                    // terminal asked for strict pricing, which the total check below then refuses.
                    promotions = promotions with { Unavailable = [campaign.CampaignId] };
                    campaign = null;
                }
            }

            if (command.CouponCode is { } code)
            {
                coupon = await RedeemAsync(connection, transaction, programId, code, command.TransactionId, memberId, subtotal, now, ct);
            }

            priced = Pricing.Price(command.Lines, program, coupon, null, default, promotions);
            Sales.EnsureExpectedTotal(command, priced.Total);
        }
        catch (LoyaltyException) when (memberId is null)
        {
            // A guest's retry racing the call in flight finds the coupon taken by its own transaction id once that
            // committed: a sale on record under this id answers (as the engine's till does), whatever the rules say now.
            await transaction.RollbackAsync(ct);
            if (await SaleAsync(connection, null, programId, command.TransactionId, forUpdate: false, ct) is { } committed)
            {
                return Answer(committed, owner, fingerprint);
            }

            throw;
        }

        var month = Months.Of(now);
        var points = buckets is null ? 0 : priced.PointsToEarn; // a guest earns nothing
        long available = 0;
        if (buckets is not null)
        {
            PointBuckets.Add(buckets, month, points);
            available = PointBuckets.Available(buckets, program.ExpiryMonths, now);
        }

        var result = new CommitResult
        {
            TransactionId = command.TransactionId,
            Subtotal = priced.Subtotal,
            Discount = priced.Discount,
            Total = priced.Total,
            PointsEarned = points,
            EarnMonth = month,
            CouponCode = command.CouponCode,
            AvailableAfter = available,
            CommittedAt = now,
            CampaignId = campaign?.CampaignId,
            CampaignDiscount = priced.CampaignDiscount,
        };

        await using var write = new NpgsqlBatch(connection, transaction);
        if (points > 0)
        {
            write.BatchCommands.Add(Cmd(
                "INSERT INTO point_buckets (program_id, member_id, month, points) VALUES ($1, $2, $3, $4) ON CONFLICT (program_id, member_id, month) DO UPDATE SET points = point_buckets.points + EXCLUDED.points",
                programId, memberId, month, points));
        }

        write.BatchCommands.Add(Cmd(
            """
            INSERT INTO sales (program_id, transaction_id, member_id, fingerprint, subtotal, discount, total, points_earned, earn_month, coupon_code, available_after, committed_at, campaign_id, campaign_discount)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            """,
            programId, command.TransactionId, owner, fingerprint, priced.Subtotal, priced.Discount, priced.Total, points, month, command.CouponCode, available, now,
            campaign?.CampaignId, priced.CampaignDiscount));
        try
        {
            await write.ExecuteNonQueryAsync(ct);
            await transaction.CommitAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // The same transaction id committed meanwhile: a guest's racing retry (answered from its row when it is
            // the same sale) or another customer's sale (TRANSACTION_ID_REUSED).
            await transaction.RollbackAsync(ct);
            var winner = await SaleAsync(connection, null, programId, command.TransactionId, forUpdate: false, ct)
                ?? throw new InvalidOperationException("the sale row that refused the insert is not readable");
            return Answer(winner, owner, fingerprint);
        }

        return (result, available);
    }

    /// <summary>Voids a member's sale, or a guest's when <paramref name="memberId"/> is null (its sale row is the lock).</summary>
    public async Task<VoidResult> VoidAsync(string programId, string? memberId, string transactionId, CancellationToken ct)
    {
        var program = await ProgramAsync(programId, ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        Dictionary<int, long>? buckets = null;
        SaleRow? sale;
        if (memberId is null)
        {
            sale = await SaleAsync(connection, transaction, programId, transactionId, forUpdate: true, ct);
        }
        else
        {
            (buckets, sale) = await LockMemberAsync(connection, transaction, programId, memberId, transactionId, ct);
        }

        if (sale is null || sale.MemberId != (memberId ?? GuestMemberId))
        {
            throw new LoyaltyException(
                ErrorReason.TransactionNotFound, memberId is null ? "no committed guest sale with this id" : "no committed transaction with this id for this member");
        }

        var committed = sale.Result;
        if (sale.VoidedAt is { } voidedAt)
        {
            return new VoidResult
            {
                TransactionId = transactionId,
                PointsRemoved = sale.VoidPointsRemoved ?? 0,
                CouponRestored = committed.CouponCode is not null,
                AlreadyVoided = true,
                AvailableAfter = sale.VoidAvailableAfter ?? 0,
                VoidedAt = voidedAt,
            };
        }

        var now = Now;
        var removed = buckets is null ? 0 : PointBuckets.Remove(buckets, committed.EarnMonth, committed.PointsEarned);
        var available = buckets is null ? 0 : PointBuckets.Available(buckets, program.ExpiryMonths, now);
        await using var write = new NpgsqlBatch(connection, transaction);
        // Campaign before coupon: the order a commit takes these rows in.
        if (committed.CampaignId is { } campaignId)
        {
            write.BatchCommands.Add(Cmd(
                "UPDATE campaigns SET redemptions = redemptions - 1, discount_given = discount_given - $3 WHERE program_id = $1 AND campaign_id = $2",
                programId, campaignId, committed.CampaignDiscount));
        }

        if (committed.CouponCode is { } code)
        {
            write.BatchCommands.Add(Cmd(
                "UPDATE coupons SET redeemed_by_tx = NULL, redeemed_by_member = NULL, redeemed_at = NULL WHERE program_id = $1 AND code = $2 AND redeemed_by_tx = $3",
                programId, code, transactionId));
        }

        if (buckets is not null && removed > 0)
        {
            write.BatchCommands.Add(buckets.TryGetValue(committed.EarnMonth, out var left)
                ? Cmd("UPDATE point_buckets SET points = $4 WHERE program_id = $1 AND member_id = $2 AND month = $3", programId, memberId, committed.EarnMonth, left)
                : Cmd("DELETE FROM point_buckets WHERE program_id = $1 AND member_id = $2 AND month = $3", programId, memberId, committed.EarnMonth));
        }

        write.BatchCommands.Add(Cmd(
            "UPDATE sales SET voided_at = $3, void_points_removed = $4, void_available_after = $5 WHERE program_id = $1 AND transaction_id = $2",
            programId, transactionId, now, removed, available));
        await write.ExecuteNonQueryAsync(ct);
        await transaction.CommitAsync(ct);
        return new VoidResult
        {
            TransactionId = transactionId,
            PointsRemoved = removed,
            CouponRestored = committed.CouponCode is not null,
            AlreadyVoided = false,
            AvailableAfter = available,
            VoidedAt = now,
        };
    }

    // ---- coupons ----

    public async Task<CouponRow?> CouponAsync(string programId, string code, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await CouponAsync(connection, null, programId, code, ct);
    }

    /// <summary>Inserts the codes; an existing code with the same terms is fine, with other terms COUPON_ALREADY_EXISTS.</summary>
    public async Task CreateCouponsAsync(string programId, IReadOnlyList<string> codes, CouponDefinition d, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO coupons (program_id, code, kind, value, min_basket, max_discount, valid_from, valid_until)
            SELECT $1, code, $3, $4, $5, $6, $7, $8 FROM unnest($2::text[]) AS code
            ON CONFLICT DO NOTHING RETURNING code
            """,
            connection,
            transaction);
        insert.Parameters.AddRange(new NpgsqlParameter[] { P(programId), P(codes.ToArray()), P((short)d.Kind), P(d.Value), P(d.MinBasket), P(d.MaxDiscount), Time(d.ValidFrom), Time(d.ValidUntil) });
        var inserted = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await insert.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                inserted.Add(reader.GetString(0));
            }
        }

        foreach (var code in codes.Where(c => !inserted.Contains(c)))
        {
            var existing = await CouponAsync(connection, transaction, programId, code, ct);
            if (existing is null || existing.Definition != d)
            {
                throw new LoyaltyException(ErrorReason.CouponAlreadyExists, "a different coupon with this code already exists");
            }
        }

        await transaction.CommitAsync(ct);
    }

    // ---- helpers ----

    private static async Task<(Dictionary<int, long> Buckets, SaleRow? Sale)> LockMemberAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string programId, string memberId, string transactionId, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                Cmd("SELECT 1 FROM members WHERE program_id = $1 AND member_id = $2 FOR UPDATE", programId, memberId),
                Cmd("SELECT month, points FROM point_buckets WHERE program_id = $1 AND member_id = $2", programId, memberId),
                Cmd(SaleSql, programId, transactionId),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            throw new LoyaltyException(ErrorReason.MemberNotFound, "no such member");
        }

        await reader.NextResultAsync(ct);
        var buckets = await ReadBucketsAsync(reader, ct);
        await reader.NextResultAsync(ct);
        return (buckets, await reader.ReadAsync(ct) ? ReadSale(reader, transactionId) : null);
    }

    /// <summary>The sale with this transaction id, whoever's it is; <paramref name="forUpdate"/> locks its row (a guest's void).</summary>
    private static async Task<SaleRow?> SaleAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string programId, string transactionId, bool forUpdate, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(forUpdate ? SaleSql + " FOR UPDATE" : SaleSql, connection, transaction);
        command.Parameters.AddRange(new NpgsqlParameter[] { P(programId), P(transactionId) });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadSale(reader, transactionId) : null;
    }

    /// <summary>A commit of a transaction id already on record: the stored result when it is the same customer's same sale.</summary>
    private static (CommitResult Result, long Available) Answer(SaleRow stored, string owner, string fingerprint) =>
        stored.MemberId == owner && stored.Fingerprint == fingerprint
            ? (stored.Result, stored.Result.AvailableAfter)
            : throw new LoyaltyException(ErrorReason.TransactionIdReused, "this transaction id was already used for a different sale");

    private static SaleRow ReadSale(NpgsqlDataReader reader, string transactionId)
    {
        var result = new CommitResult
        {
            TransactionId = transactionId,
            Subtotal = reader.GetInt64(2),
            Discount = reader.GetInt64(3),
            Total = reader.GetInt64(4),
            PointsEarned = reader.GetInt64(5),
            EarnMonth = reader.GetInt32(6),
            CouponCode = reader.IsDBNull(7) ? null : reader.GetString(7),
            AvailableAfter = reader.GetInt64(8),
            CommittedAt = reader.GetFieldValue<DateTimeOffset>(9),
            CampaignId = reader.IsDBNull(13) ? null : reader.GetString(13),
            CampaignDiscount = reader.GetInt64(14),
        };
        return new SaleRow(
            reader.GetString(0),
            reader.GetString(1),
            result,
            reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
            reader.IsDBNull(11) ? null : reader.GetInt64(11),
            reader.IsDBNull(12) ? null : reader.GetInt64(12));
    }

    /// <summary>Redeems with one conditional UPDATE; when no row matched, finds out why (the engine's order of reasons).</summary>
    private static async Task<CouponDefinition> RedeemAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string programId, string code, string transactionId, string? memberId, long subtotal, DateTimeOffset now, CancellationToken ct)
    {
        await using (var redeem = new NpgsqlCommand(
            """
            UPDATE coupons SET redeemed_by_tx = $3, redeemed_by_member = $4, redeemed_at = $5
            WHERE program_id = $1 AND code = $2 AND redeemed_by_tx IS NULL AND min_basket <= $6
              AND (valid_from IS NULL OR valid_from <= $5) AND (valid_until IS NULL OR valid_until > $5)
            RETURNING kind, value, min_basket, max_discount, valid_from, valid_until
            """,
            connection,
            transaction))
        {
            redeem.Parameters.AddRange(new NpgsqlParameter[] { P(programId), P(code), P(transactionId), P(memberId), P(now), P(subtotal) });
            await using var reader = await redeem.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                return ReadDefinition(reader, 0);
            }
        }

        var coupon = await CouponAsync(connection, transaction, programId, code, ct)
            ?? throw new LoyaltyException(ErrorReason.CouponNotFound, "no such coupon");
        if (coupon.RedeemedByTransaction is not null)
        {
            throw new LoyaltyException(ErrorReason.CouponAlreadyRedeemed, "the coupon has already been redeemed");
        }

        Coupons.EnsureApplicable(coupon.Definition, subtotal, now);
        throw new LoyaltyException(ErrorReason.CouponNotApplicable, "the coupon cannot be used on this basket");
    }

    private static async Task<CouponRow?> CouponAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string programId, string code, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "SELECT kind, value, min_basket, max_discount, valid_from, valid_until, redeemed_by_tx, redeemed_at FROM coupons WHERE program_id = $1 AND code = $2",
            connection,
            transaction);
        command.Parameters.AddRange(new NpgsqlParameter[] { P(programId), P(code) });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return new CouponRow(
            ReadDefinition(reader, 0),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7));
    }

    private static async Task<MemberRow?> MemberAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string programId, string memberId, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                Cmd("SELECT name, enrolled_at FROM members WHERE program_id = $1 AND member_id = $2", programId, memberId),
                Cmd("SELECT card_number FROM cards WHERE program_id = $1 AND member_id = $2 ORDER BY card_number", programId, memberId),
                Cmd("SELECT month, points FROM point_buckets WHERE program_id = $1 AND member_id = $2", programId, memberId),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        var name = reader.IsDBNull(0) ? null : reader.GetString(0);
        var enrolledAt = reader.GetFieldValue<DateTimeOffset>(1);
        await reader.NextResultAsync(ct);
        var cards = new List<string>();
        while (await reader.ReadAsync(ct))
        {
            cards.Add(reader.GetString(0));
        }

        await reader.NextResultAsync(ct);
        return new MemberRow(memberId, name, enrolledAt, cards, await ReadBucketsAsync(reader, ct));
    }

    private static async Task<Dictionary<int, long>> ReadBucketsAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var buckets = new Dictionary<int, long>();
        while (await reader.ReadAsync(ct))
        {
            buckets[reader.GetInt32(0)] = reader.GetInt64(1);
        }

        return buckets;
    }

    private static CouponDefinition ReadDefinition(NpgsqlDataReader reader, int first) => new(
        (CouponKind)reader.GetInt16(first),
        reader.GetInt64(first + 1),
        reader.GetInt64(first + 2),
        reader.GetInt64(first + 3),
        reader.IsDBNull(first + 4) ? null : reader.GetFieldValue<DateTimeOffset>(first + 4),
        reader.IsDBNull(first + 5) ? null : reader.GetFieldValue<DateTimeOffset>(first + 5));

    private static NpgsqlBatchCommand Cmd(string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(P(value));
        }

        return command;
    }

    private static NpgsqlParameter P(object? value) => value switch
    {
        null => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
        DateTimeOffset t => Time(t),
        _ => new NpgsqlParameter { Value = value },
    };

    private static NpgsqlParameter Time(DateTimeOffset? value) =>
        new() { Value = value is { } t ? t.UtcDateTime : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz };
}
