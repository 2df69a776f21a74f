-- Loyalty.Orleans: what the reports read (issue #15, docs/reports.md). Idempotent.
--
-- A sale's facts as columns beside its record, written with it by the silo's group commit
-- (GrainStateWriter): the record is Orleans' binary serialization, which SQL cannot read. A void or a
-- refund rewrites its sale's row, so status and refunded follow it. Rows written by earlier versions
-- have these columns NULL and are left out of the sales reports (docs/reports.md, "Since when").
--   guest      a walk-in customer's sale (no member; member_id is '' and the row is keyed by the program)
--   store_id   the store of the sale ('' when the terminal named none)
--   subtotal   the basket before discounts, minor units
--   discount   every discount on the receipt (reward, tier, campaigns, coupon), minor units
--   total      subtotal − discount (before points and store credit paid part of it)
--   items      units sold (the sum of the lines' quantities)
--   tier       the member's tier when it bought (NULL for a guest or a program without tiers)
--   status     0 committed, 1 partially refunded, 2 refunded, 3 voided (SaleStatus)
--   refunded   money refunded so far, minor units
--   discounts  the discount per source: [{"source": "campaign"|"coupon"|"tier"|"reward", "id": …, "amount": …}]
--
-- Every silo runs the schema at start, in one transaction, while other silos may be writing: an ALTER TABLE
-- takes an ACCESS EXCLUSIVE lock even when its columns exist, and two such tables locked one after the other
-- can deadlock with a writer's batch that inserts into both (seen in the silo-crash test). So the columns and
-- the index are added only when missing: a restart takes no lock on these tables.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = 'member_sales' AND column_name = 'discounts') THEN
        ALTER TABLE member_sales
            ADD COLUMN IF NOT EXISTS guest boolean NULL,
            ADD COLUMN IF NOT EXISTS store_id text NULL,
            ADD COLUMN IF NOT EXISTS subtotal bigint NULL,
            ADD COLUMN IF NOT EXISTS discount bigint NULL,
            ADD COLUMN IF NOT EXISTS total bigint NULL,
            ADD COLUMN IF NOT EXISTS items integer NULL,
            ADD COLUMN IF NOT EXISTS tier text NULL,
            ADD COLUMN IF NOT EXISTS status smallint NULL,
            ADD COLUMN IF NOT EXISTS refunded bigint NULL,
            ADD COLUMN IF NOT EXISTS discounts jsonb NULL;
    END IF;

    -- The sales reports' index is made by 011_sales_time_index.sql (its first form here, led by the program,
    -- drew the commit path's primary-key lookups onto it while statistics were empty).

    -- A manual adjustment's reason code, free text and operator (issue #15, AdminService.Adjust); NULL for
    -- every other entry.
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = 'ledger_entries' AND column_name = 'actor') THEN
        ALTER TABLE ledger_entries
            ADD COLUMN IF NOT EXISTS reason text NULL,
            ADD COLUMN IF NOT EXISTS note text NULL,
            ADD COLUMN IF NOT EXISTS actor text NULL;
    END IF;
END
$$;
