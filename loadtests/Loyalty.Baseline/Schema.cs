using Npgsql;

namespace Loyalty.Baseline;

/// <summary>The baseline's own database and tables, created on startup (idempotent).</summary>
public static class Schema
{
    public const string Ddl = """
        CREATE TABLE IF NOT EXISTS programs (
            program_id      text    PRIMARY KEY,
            name            text    NOT NULL,
            currency        text    NOT NULL,
            earn_points     bigint  NOT NULL,
            earn_per_amount bigint  NOT NULL,
            expiry_months   integer NOT NULL
        );
        CREATE TABLE IF NOT EXISTS members (
            program_id  text        NOT NULL,
            member_id   text        NOT NULL,
            name        text        NULL,
            enrolled_at timestamptz NOT NULL,
            PRIMARY KEY (program_id, member_id)
        );
        CREATE TABLE IF NOT EXISTS cards (
            program_id  text NOT NULL,
            card_number text NOT NULL,
            member_id   text NOT NULL,
            PRIMARY KEY (program_id, card_number)
        );
        CREATE INDEX IF NOT EXISTS cards_by_member ON cards (program_id, member_id);
        -- Points earned per calendar month (yyyymm): the balance is the sum of the live buckets.
        CREATE TABLE IF NOT EXISTS point_buckets (
            program_id text    NOT NULL,
            member_id  text    NOT NULL,
            month      integer NOT NULL,
            points     bigint  NOT NULL,
            PRIMARY KEY (program_id, member_id, month)
        ) WITH (fillfactor = 80);
        CREATE TABLE IF NOT EXISTS coupons (
            program_id         text        NOT NULL,
            code               text        NOT NULL,
            kind               smallint    NOT NULL,
            value              bigint      NOT NULL,
            min_basket         bigint      NOT NULL,
            max_discount       bigint      NOT NULL,
            valid_from         timestamptz NULL,
            valid_until        timestamptz NULL,
            redeemed_by_tx     text        NULL,
            redeemed_by_member text        NULL,
            redeemed_at        timestamptz NULL,
            PRIMARY KEY (program_id, code)
        ) WITH (fillfactor = 80);
        -- One row per committed sale: the idempotency record (fingerprint + stored result) and its void.
        CREATE TABLE IF NOT EXISTS sales (
            program_id           text        NOT NULL,
            transaction_id       text        NOT NULL,
            member_id            text        NOT NULL,
            fingerprint          text        NOT NULL,
            subtotal             bigint      NOT NULL,
            discount             bigint      NOT NULL,
            total                bigint      NOT NULL,
            points_earned        bigint      NOT NULL,
            earn_month           integer     NOT NULL,
            coupon_code          text        NULL,
            available_after      bigint      NOT NULL,
            committed_at         timestamptz NOT NULL,
            voided_at            timestamptz NULL,
            void_points_removed  bigint      NULL,
            void_available_after bigint      NULL,
            PRIMARY KEY (program_id, transaction_id)
        );
        ALTER TABLE sales ADD COLUMN IF NOT EXISTS campaign_id text NULL;
        ALTER TABLE sales ADD COLUMN IF NOT EXISTS campaign_discount bigint NOT NULL DEFAULT 0;
        -- A campaign and its budget counters in one row: a grant is a conditional UPDATE of that row.
        CREATE TABLE IF NOT EXISTS campaigns (
            program_id         text        NOT NULL,
            campaign_id        text        NOT NULL,
            name               text        NOT NULL,
            kind               smallint    NOT NULL,
            value              bigint      NOT NULL,
            max_discount       bigint      NOT NULL,
            min_basket         bigint      NOT NULL,
            valid_from         timestamptz NULL,
            valid_until        timestamptz NULL,
            priority           integer     NOT NULL,
            max_redemptions    bigint      NOT NULL,
            max_discount_money bigint      NOT NULL,
            redemptions        bigint      NOT NULL DEFAULT 0,
            discount_given     bigint      NOT NULL DEFAULT 0,
            PRIMARY KEY (program_id, campaign_id)
        );
        """;

    /// <summary>Creates the database (if missing) and the tables; returns the database's connection string.</summary>
    public static async Task<string> EnsureAsync(string serverConnectionString, string database, CancellationToken cancellationToken = default)
    {
        var server = new NpgsqlConnectionStringBuilder(serverConnectionString) { Pooling = false };
        await using (var connection = new NpgsqlConnection(server.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                try
                {
                    await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
                    await create.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
                {
                    // created meanwhile by another instance
                }
            }
        }

        var target = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = database };
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(target.ConnectionString) { Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(4242)", connection, transaction))
            {
                await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            }

            await using (var ddl = new NpgsqlCommand(Ddl, connection, transaction))
            {
                await ddl.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        return target.ConnectionString;
    }
}
