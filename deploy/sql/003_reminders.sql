-- 003_reminders.sql
-- Loyalty.Orleans: PostgreSQL schema and stored queries for the Orleans ADO.NET
-- reminders provider (Microsoft.Orleans.Reminders.AdoNet 10.4.2, invariant "Npgsql").
--
-- Idempotent: safe to run on every startup. Requires the orleansquery table
-- created by 001_persistence.sql.
--
-- Contract notes (as read by the 10.4.2 provider):
--  * Parameters are bound by name: @ServiceId, @GrainId, @ReminderName as text,
--    @StartTime as timestamptz (DateTime, Kind=Utc), @Period as int4 or int8
--    (milliseconds), @GrainHash/@BeginHash/@EndHash as int4 (the uint hash cast
--    to a signed int), @Version as int4.
--  * Columns read by name: grainid, remindername, starttime, period, version.
--  * Range reads: the provider picks ReadRangeRows1Key when (int)begin < (int)end,
--    i.e. the range (begin, end] does not wrap in signed order, and
--    ReadRangeRows2Key otherwise (wrapping range, or begin = end = whole ring).
--  * version is the row's etag; it starts at 0 and grows by one on each upsert.

CREATE TABLE IF NOT EXISTS orleansremindertable
(
    serviceid    varchar(150) NOT NULL,
    grainid      text         NOT NULL,
    remindername text         NOT NULL,
    starttime    timestamptz  NOT NULL,
    period       bigint       NOT NULL,
    grainhash    integer      NOT NULL,
    version      integer      NOT NULL,
    CONSTRAINT pk_orleansremindertable PRIMARY KEY (serviceid, grainid, remindername)
);

-- Range reads by hash ring slice.
CREATE INDEX IF NOT EXISTS ix_orleansremindertable_grainhash
    ON orleansremindertable (serviceid, grainhash);

-- All reminders of one grain.
-- Params: @ServiceId, @GrainId.
INSERT INTO orleansquery (querykey, querytext) VALUES ('ReadReminderRowsKey', $sql$
SELECT grainid, remindername, starttime, period, version
FROM orleansremindertable
WHERE serviceid = @ServiceId
  AND grainid = @GrainId
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- One reminder; no row when absent.
-- Params: @ServiceId, @GrainId, @ReminderName.
INSERT INTO orleansquery (querykey, querytext) VALUES ('ReadReminderRowKey', $sql$
SELECT grainid, remindername, starttime, period, version
FROM orleansremindertable
WHERE serviceid = @ServiceId
  AND grainid = @GrainId
  AND remindername = @ReminderName
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- Reminders whose hash lies in (@BeginHash, @EndHash], non-wrapping in signed order.
-- Params: @ServiceId, @BeginHash, @EndHash.
INSERT INTO orleansquery (querykey, querytext) VALUES ('ReadRangeRows1Key', $sql$
SELECT grainid, remindername, starttime, period, version
FROM orleansremindertable
WHERE serviceid = @ServiceId
  AND grainhash > @BeginHash
  AND grainhash <= @EndHash
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- Reminders whose hash lies in (@BeginHash, max] or [min, @EndHash] (wrapping range).
-- Params: @ServiceId, @BeginHash, @EndHash.
INSERT INTO orleansquery (querykey, querytext) VALUES ('ReadRangeRows2Key', $sql$
SELECT grainid, remindername, starttime, period, version
FROM orleansremindertable
WHERE serviceid = @ServiceId
  AND (grainhash > @BeginHash OR grainhash <= @EndHash)
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- Insert or replace a reminder atomically; returns one row with the new etag.
-- Params: @ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash.
INSERT INTO orleansquery (querykey, querytext) VALUES ('UpsertReminderRowKey', $sql$
INSERT INTO orleansremindertable AS r
    (serviceid, grainid, remindername, starttime, period, grainhash, version)
VALUES
    (@ServiceId, @GrainId, @ReminderName, @StartTime, CAST(@Period AS bigint), @GrainHash, 0)
ON CONFLICT (serviceid, grainid, remindername) DO UPDATE
SET starttime = EXCLUDED.starttime,
    period    = EXCLUDED.period,
    grainhash = EXCLUDED.grainhash,
    version   = r.version + 1
RETURNING r.version
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- Delete a reminder only if its etag is still @Version.
-- Params: @ServiceId, @GrainId, @ReminderName, @Version.
-- Returns one row, one boolean column: true if a row was deleted.
INSERT INTO orleansquery (querykey, querytext) VALUES ('DeleteReminderRowKey', $sql$
WITH removed AS (
    DELETE FROM orleansremindertable
    WHERE serviceid = @ServiceId
      AND grainid = @GrainId
      AND remindername = @ReminderName
      AND version = @Version
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM removed) AS deleted
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- Delete every reminder of the service (used by tests / TestOnlyClearTable).
-- Params: @ServiceId. No result read.
INSERT INTO orleansquery (querykey, querytext) VALUES ('DeleteReminderRowsKey', $sql$
DELETE FROM orleansremindertable
WHERE serviceid = @ServiceId
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
