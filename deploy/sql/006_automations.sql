-- Loyalty.Orleans: automations (docs/automations.md). Idempotent.

-- What the time-driven automations need to find members without reading grain state: the birthday.
-- Written by the member grain at enrollment and when the birth date changes.
CREATE TABLE IF NOT EXISTS member_directory
(
    program_id  text        NOT NULL,
    member_id   text        NOT NULL,
    birth_month smallint    NULL,
    birth_day   smallint    NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT member_directory_pk PRIMARY KEY (program_id, member_id)
);

CREATE INDEX IF NOT EXISTS member_directory_birthday ON member_directory (program_id, birth_month, birth_day);

-- The message outbox: rendered messages for someone else to send (e-mail, SMS). One row per
-- (program, member, occasion): a retried automation inserts nothing new. A sender marks sent_at.
CREATE TABLE IF NOT EXISTS member_messages
(
    program_id  text        NOT NULL,
    member_id   text        NOT NULL,
    message_key text        NOT NULL,
    kind        text        NOT NULL,
    channel     text        NOT NULL,
    recipient   text        NOT NULL,
    body        text        NOT NULL,
    coupon_code text        NULL,
    created_at  timestamptz NOT NULL,
    sent_at     timestamptz NULL,
    CONSTRAINT member_messages_pk PRIMARY KEY (program_id, member_id, message_key)
);

CREATE INDEX IF NOT EXISTS member_messages_unsent ON member_messages (created_at) WHERE sent_at IS NULL;

-- Win-back and points-expiring candidates come from ledger_entries (004): by member, by bucket month.
CREATE INDEX IF NOT EXISTS ledger_entries_program_month ON ledger_entries (program_id, bucket_month);
