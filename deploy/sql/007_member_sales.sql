-- Loyalty.Orleans: one row per committed sale of a member (docs/write-path.md). Idempotent.
--
-- The member grain's state keeps only its most recent sales; every sale's idempotency record
-- (body fingerprint, stored result, what reverses it) is a row here, written in the same
-- transaction as the member's state by the silo's group commit (GrainStateWriter). The primary
-- key makes a transaction id count once per member: a write that creates a sale whose id already
-- has a row is refused whole, and the grain answers the retry from the row.
-- record: the SaleRecord in Orleans' binary serialization (version tolerant through its [Id]s).
CREATE TABLE IF NOT EXISTS member_sales
(
    service_id     text        NOT NULL,
    program_id     text        NOT NULL,
    member_id      text        NOT NULL,
    transaction_id text        NOT NULL,
    occurred_at    timestamptz NOT NULL,
    record         bytea       NOT NULL,
    CONSTRAINT member_sales_pk PRIMARY KEY (service_id, program_id, member_id, transaction_id)
);
