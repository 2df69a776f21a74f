-- Loyalty.Orleans: the audit trail of admin actions that create value or access (docs/security.md). Idempotent.
-- Append-only: who (credential id and role), what (the call and its request, secrets left out), when.
CREATE TABLE IF NOT EXISTS admin_audit
(
    id            bigserial   PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    credential_id text        NOT NULL,
    role          text        NOT NULL,
    method        text        NOT NULL,
    program_id    text        NULL,
    detail        text        NOT NULL
);

CREATE INDEX IF NOT EXISTS admin_audit_program ON admin_audit (program_id, id);
