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
ALTER TABLE member_sales ADD COLUMN IF NOT EXISTS guest boolean NULL;
ALTER TABLE member_sales ADD COLUMN IF NOT EXISTS store_id text NULL;
ALTER TABLE member_sales ADD COLUMN IF NOT EXISTS subtotal bigint NULL;
ALTER TABLE member_sales ADD COLUMN IF NOT EXISTS discount bigint NULL;
ALTER TABLE member_sales ADD COLUMN IF NOT EXISTS total bigint NULL;
ALTER TABLE member_sales ADD COLUMN IF NOT EXISTS items integer NULL;
ALTER TABLE member_sales ADD COLUMN IF NOT EXISTS tier text NULL;
ALTER TABLE member_sales ADD COLUMN IF NOT EXISTS status smallint NULL;
ALTER TABLE member_sales ADD COLUMN IF NOT EXISTS refunded bigint NULL;
ALTER TABLE member_sales ADD COLUMN IF NOT EXISTS discounts jsonb NULL;

-- The sales reports read a program's sales of a date range.
CREATE INDEX IF NOT EXISTS member_sales_program_time ON member_sales (service_id, program_id, occurred_at);

-- A manual adjustment's reason code, free text and operator (issue #15, AdminService.Adjust); NULL for
-- every other entry.
ALTER TABLE ledger_entries ADD COLUMN IF NOT EXISTS reason text NULL;
ALTER TABLE ledger_entries ADD COLUMN IF NOT EXISTS note text NULL;
ALTER TABLE ledger_entries ADD COLUMN IF NOT EXISTS actor text NULL;
