-- Loyalty.Orleans: grain state for Orleans' ADO.NET grain storage provider (invariant "Npgsql").
-- Idempotent: applied on every startup (Loyalty:ApplySchema) or by hand with psql -f.
--
-- The provider looks up its statements by key in orleansquery and runs them with named
-- parameters: @ServiceId, @GrainTypeString (the state name), @GrainIdN0, @GrainIdN1,
-- @GrainIdExtensionString (the string key), @GrainIdHash, @GrainTypeHash, @GrainStateVersion
-- (the grain's ETag, NULL before its first write) and @PayloadBinary.
--   read  → zero or one row (PayloadBinary, Version)
--   write → exactly one row: NewGrainStateVersion, or NULL when the version check failed
--   clear → exactly one row, first column the new version or NULL
-- A NULL/unchanged version is what makes the provider raise InconsistentStateException.

CREATE TABLE IF NOT EXISTS orleansquery
(
    querykey  varchar(64) NOT NULL PRIMARY KEY,
    querytext text        NOT NULL
);

-- One row per grain state. The primary key is the full identity (no hash-only key), so two
-- concurrent first writes of one grain race on it and exactly one INSERT wins; every later
-- write is an UPDATE guarded by the version, so a stale ("zombie") activation is refused.
-- fillfactor leaves room on each page for HOT updates: the key never changes, only payload.
CREATE TABLE IF NOT EXISTS grain_state
(
    service_id  text        NOT NULL,
    state_name  text        NOT NULL,
    grain_key   text        NOT NULL,
    grain_n0    bigint      NOT NULL,
    grain_n1    bigint      NOT NULL,
    version     integer     NOT NULL,
    payload     bytea       NULL,
    modified_on timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT grain_state_pk PRIMARY KEY (service_id, state_name, grain_key, grain_n0, grain_n1)
) WITH (fillfactor = 70);

INSERT INTO orleansquery (querykey, querytext) VALUES
('ReadFromStorageKey', $q$
SELECT payload AS "PayloadBinary", version AS "Version"
FROM grain_state
WHERE service_id = @ServiceId
  AND state_name = @GrainTypeString
  AND grain_key = COALESCE(@GrainIdExtensionString::text, '')
  AND grain_n0 = @GrainIdN0
  AND grain_n1 = @GrainIdN1
$q$),
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE grain_state
    SET payload = @PayloadBinary, version = version + 1, modified_on = now()
    WHERE service_id = @ServiceId
      AND state_name = @GrainTypeString
      AND grain_key = COALESCE(@GrainIdExtensionString::text, '')
      AND grain_n0 = @GrainIdN0
      AND grain_n1 = @GrainIdN1
      AND version = @GrainStateVersion::integer
    RETURNING version
), inserted AS (
    INSERT INTO grain_state (service_id, state_name, grain_key, grain_n0, grain_n1, version, payload)
    SELECT @ServiceId, @GrainTypeString, COALESCE(@GrainIdExtensionString::text, ''), @GrainIdN0, @GrainIdN1, 1, @PayloadBinary
    WHERE @GrainStateVersion::integer IS NULL
    ON CONFLICT ON CONSTRAINT grain_state_pk DO NOTHING
    RETURNING version
)
SELECT (SELECT version FROM updated UNION ALL SELECT version FROM inserted) AS "NewGrainStateVersion"
$q$),
('ClearStorageKey', $q$
WITH updated AS (
    UPDATE grain_state
    SET payload = NULL, version = version + 1, modified_on = now()
    WHERE service_id = @ServiceId
      AND state_name = @GrainTypeString
      AND grain_key = COALESCE(@GrainIdExtensionString::text, '')
      AND grain_n0 = @GrainIdN0
      AND grain_n1 = @GrainIdN1
      AND version = @GrainStateVersion::integer
    RETURNING version
), inserted AS (
    INSERT INTO grain_state (service_id, state_name, grain_key, grain_n0, grain_n1, version, payload)
    SELECT @ServiceId, @GrainTypeString, COALESCE(@GrainIdExtensionString::text, ''), @GrainIdN0, @GrainIdN1, 1, NULL
    WHERE @GrainStateVersion::integer IS NULL
    ON CONFLICT ON CONSTRAINT grain_state_pk DO NOTHING
    RETURNING version
)
SELECT (SELECT version FROM updated UNION ALL SELECT version FROM inserted) AS "NewGrainStateVersion"
$q$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
