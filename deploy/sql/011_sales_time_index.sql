-- Loyalty.Orleans: the sales reports' index, led by the time (issue #28). Idempotent; takes no lock when nothing
-- is missing.
--
-- The commit path looks a sale up by its whole primary key (service_id, program_id, member_id, transaction_id)
-- for every member of a writer's batch (GrainStateWriter: "does this sale already have a row?", and the row
-- store's FindSale). The first form of the reports' index, (service_id, program_id, occurred_at), shares the
-- key's first two columns: while member_sales's statistics are empty or stale (a fresh database, the first
-- minute after seeding) the planner costs both indexes at one row and may pick that one, and then every lookup
-- reads the whole program's sales. Measured on a fresh engine at 800 checkouts/s: batches of 124 members took
-- 1.3–4.8 s, writes timed out and commits stopped for over a minute, until autovacuum's first ANALYZE.
-- An index led by occurred_at matches no equality of that lookup: for it, it could only be a whole-index scan,
-- which no statistics make look cheaper than the primary key. The reports give a time range, so they still
-- read it by its first column and check service and program inside the index.
DO $$
BEGIN
    IF to_regclass('member_sales_time') IS NULL THEN
        CREATE INDEX member_sales_time ON member_sales (occurred_at, service_id, program_id);
    END IF;
    IF to_regclass('member_sales_program_time') IS NOT NULL THEN
        DROP INDEX member_sales_program_time;
    END IF;
END
$$;
