-- 002_clustering.sql
-- Loyalty.Orleans: PostgreSQL schema and stored queries for the Orleans ADO.NET
-- clustering provider (Microsoft.Orleans.Clustering.AdoNet 10.4.2, invariant "Npgsql").
--
-- Idempotent: safe to run on every startup. Requires the orleansquery table
-- created by 001_persistence.sql.
--
-- Contract notes (as read by the 10.4.2 provider):
--  * Every query text below is looked up by its key in orleansquery.
--  * Parameters are bound by name: strings as text, ports/generation/status/version
--    as int4, timestamps as timestamptz (DateTime, Kind=Utc).
--  * Result columns are read by name (Npgsql falls back to a case-insensitive
--    match, so the lower-case column names satisfy e.g. "ProxyPort").
--  * The membership protocol uses one version counter per cluster (deploymentid):
--    every row's etag is the table version. Insert/update of a silo row must bump
--    the version from @Version to @Version + 1 and change the silo row atomically,
--    or do nothing at all and report false.
--  * Status values are Orleans' SiloStatus: 3 = Active, 6 = Dead.

CREATE TABLE IF NOT EXISTS orleansmembershipversiontable
(
    deploymentid varchar(150) NOT NULL,
    updatedat    timestamptz  NOT NULL DEFAULT now(),
    version      integer      NOT NULL DEFAULT 0,
    CONSTRAINT pk_orleansmembershipversiontable PRIMARY KEY (deploymentid)
);

CREATE TABLE IF NOT EXISTS orleansmembershiptable
(
    deploymentid varchar(150) NOT NULL,
    address      varchar(45)  NOT NULL,
    port         integer      NOT NULL,
    generation   integer      NOT NULL,
    siloname     varchar(150) NOT NULL,
    hostname     varchar(150) NOT NULL,
    status       integer      NOT NULL,
    proxyport    integer      NOT NULL DEFAULT 0,
    suspecttimes text         NULL,
    starttime    timestamptz  NOT NULL,
    iamalivetime timestamptz  NOT NULL,
    CONSTRAINT pk_orleansmembershiptable PRIMARY KEY (deploymentid, address, port, generation),
    CONSTRAINT fk_orleansmembershiptable_version FOREIGN KEY (deploymentid)
        REFERENCES orleansmembershipversiontable (deploymentid) ON DELETE CASCADE
);

-- Gateway lookups filter by cluster and status.
CREATE INDEX IF NOT EXISTS ix_orleansmembershiptable_status
    ON orleansmembershiptable (deploymentid, status);

-- Create the cluster's version row if it is missing.
-- Params: @DeploymentId. Returns one row, one boolean column: true if a row was created.
INSERT INTO orleansquery (querykey, querytext) VALUES ('InsertMembershipVersionKey', $sql$
WITH created AS (
    INSERT INTO orleansmembershipversiontable (deploymentid)
    VALUES (@DeploymentId)
    ON CONFLICT (deploymentid) DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM created) AS inserted
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- Add a silo row, provided the table version is still @Version and the silo is not
-- registered yet; bumps the version in the same statement.
-- Params: @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
--         @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version.
-- Returns one row, one boolean column: true if the row was added.
INSERT INTO orleansquery (querykey, querytext) VALUES ('InsertMembershipKey', $sql$
WITH bumped AS (
    UPDATE orleansmembershipversiontable v
    SET version = v.version + 1,
        updatedat = now()
    WHERE v.deploymentid = @DeploymentId
      AND v.version = @Version
      AND NOT EXISTS (
          SELECT 1
          FROM orleansmembershiptable m
          WHERE m.deploymentid = @DeploymentId
            AND m.address = @Address
            AND m.port = @Port
            AND m.generation = @Generation)
    RETURNING v.deploymentid
), added AS (
    INSERT INTO orleansmembershiptable
        (deploymentid, address, port, generation, siloname, hostname,
         status, proxyport, suspecttimes, starttime, iamalivetime)
    SELECT b.deploymentid, @Address, @Port, @Generation, @SiloName, @HostName,
           @Status, @ProxyPort, NULL, @StartTime, @IAmAliveTime
    FROM bumped b
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM added) AS inserted
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- Change a silo row's status, suspicions and liveness, provided the table version
-- is still @Version and the row exists; bumps the version in the same statement.
-- Params: @DeploymentId, @Address, @Port, @Generation, @Status, @SuspectTimes (may be NULL),
--         @IAmAliveTime, @Version.
-- Returns one row, one boolean column: true if the row was changed.
INSERT INTO orleansquery (querykey, querytext) VALUES ('UpdateMembershipKey', $sql$
WITH bumped AS (
    UPDATE orleansmembershipversiontable v
    SET version = v.version + 1,
        updatedat = now()
    WHERE v.deploymentid = @DeploymentId
      AND v.version = @Version
      AND EXISTS (
          SELECT 1
          FROM orleansmembershiptable m
          WHERE m.deploymentid = @DeploymentId
            AND m.address = @Address
            AND m.port = @Port
            AND m.generation = @Generation)
    RETURNING v.deploymentid
), changed AS (
    UPDATE orleansmembershiptable m
    SET status = @Status,
        suspecttimes = CAST(@SuspectTimes AS text),
        iamalivetime = @IAmAliveTime
    FROM bumped b
    WHERE m.deploymentid = b.deploymentid
      AND m.address = @Address
      AND m.port = @Port
      AND m.generation = @Generation
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM changed) AS updated
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- Liveness heartbeat; not versioned.
-- Params: @DeploymentId, @Address, @Port, @Generation, @IAmAliveTime. No result read.
INSERT INTO orleansquery (querykey, querytext) VALUES ('UpdateIAmAlivetimeKey', $sql$
UPDATE orleansmembershiptable
SET iamalivetime = @IAmAliveTime
WHERE deploymentid = @DeploymentId
  AND address = @Address
  AND port = @Port
  AND generation = @Generation
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- One silo's row plus the table version.
-- Params: @DeploymentId, @Address, @Port, @Generation.
-- Always returns at least one row when the version row exists: the silo columns are
-- NULL (starttime NULL = "no such silo") and version carries the table version.
INSERT INTO orleansquery (querykey, querytext) VALUES ('MembershipReadRowKey', $sql$
SELECT v.version, v.deploymentid,
       m.address, m.port, m.generation, m.siloname, m.hostname, m.status,
       m.proxyport, m.suspecttimes, m.starttime, m.iamalivetime
FROM orleansmembershipversiontable v
LEFT JOIN orleansmembershiptable m
       ON m.deploymentid = v.deploymentid
      AND m.address = @Address
      AND m.port = @Port
      AND m.generation = @Generation
WHERE v.deploymentid = @DeploymentId
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- All silo rows of the cluster, each carrying the table version; a single row of
-- NULL silo columns when the cluster has no silos yet.
-- Params: @DeploymentId.
INSERT INTO orleansquery (querykey, querytext) VALUES ('MembershipReadAllKey', $sql$
SELECT v.version, v.deploymentid,
       m.address, m.port, m.generation, m.siloname, m.hostname, m.status,
       m.proxyport, m.suspecttimes, m.starttime, m.iamalivetime
FROM orleansmembershipversiontable v
LEFT JOIN orleansmembershiptable m
       ON m.deploymentid = v.deploymentid
WHERE v.deploymentid = @DeploymentId
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- Gateways for clients: silos with the requested status (Active) and a proxy port.
-- Params: @DeploymentId, @Status. Columns read: address, proxyport, generation.
INSERT INTO orleansquery (querykey, querytext) VALUES ('GatewaysQueryKey', $sql$
SELECT address, proxyport, generation
FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId
  AND status = @Status
  AND proxyport > 0
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- Remove a whole cluster (silo rows go with the version row via ON DELETE CASCADE).
-- Params: @DeploymentId. No result read.
INSERT INTO orleansquery (querykey, querytext) VALUES ('DeleteMembershipTableEntriesKey', $sql$
DELETE FROM orleansmembershipversiontable
WHERE deploymentid = @DeploymentId
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- Bulk cleanup of dead silos whose last heartbeat is older than the cutoff.
-- Only used by the provider when CleanupDefunctSiloEntryKey is absent.
-- Params: @DeploymentId, @IAmAliveTime (cutoff). No result read.
INSERT INTO orleansquery (querykey, querytext) VALUES ('CleanupDefunctSiloEntriesKey', $sql$
DELETE FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId
  AND status = 6
  AND iamalivetime < @IAmAliveTime
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

-- Optional (preferred by 10.4.2 when present): delete one dead silo row, but only if
-- it still holds exactly the values the provider read (status Dead, same start time,
-- heartbeat and suspicions), so a row changed since that read is left alone.
-- Params: @DeploymentId, @Address, @Port, @Generation, @StartTime, @IAmAliveTime,
--         @SuspectTimes (may be NULL). No result read.
-- A NULL and an empty suspicion list are treated alike (the provider reads both as none).
INSERT INTO orleansquery (querykey, querytext) VALUES ('CleanupDefunctSiloEntryKey', $sql$
DELETE FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId
  AND address = @Address
  AND port = @Port
  AND generation = @Generation
  AND status = 6
  AND starttime = @StartTime
  AND iamalivetime = @IAmAliveTime
  AND COALESCE(suspecttimes, '') = COALESCE(CAST(@SuspectTimes AS text), '')
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;
