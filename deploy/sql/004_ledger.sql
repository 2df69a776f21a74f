-- Loyalty.Orleans: the points ledger for reporting and audit. Idempotent.
-- Every points movement of every member, written in the same transaction as the member's state
-- (docs/write-path.md, docs/ledger.md). (program_id, member_id, seq) is the entry's identity: an
-- entry written again (a state written by an earlier version still holding it in its outbox) is
-- ignored, so each entry is stored exactly once.
CREATE TABLE IF NOT EXISTS ledger_entries
(
    program_id     text        NOT NULL,
    member_id      text        NOT NULL,
    seq            bigint      NOT NULL,
    entry_type     text        NOT NULL,
    points         bigint      NOT NULL,
    bucket_month   integer     NOT NULL,
    transaction_id text        NULL,
    occurred_at    timestamptz NOT NULL,
    -- 'points', or 'credit' (store credit in minor units)
    asset          text        NOT NULL DEFAULT 'points',
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_entries_pk PRIMARY KEY (program_id, member_id, seq)
);

-- Added when missing only: an ALTER TABLE locks the table even when the column exists (010_reports.sql says why
-- that matters at a silo's start).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = 'ledger_entries' AND column_name = 'asset') THEN
        ALTER TABLE ledger_entries ADD COLUMN asset text NOT NULL DEFAULT 'points';
    END IF;
END
$$;

CREATE INDEX IF NOT EXISTS ledger_entries_program_time ON ledger_entries (program_id, occurred_at);
