-- Loyalty.Orleans: cards and phone numbers as rows (docs/write-path.md, "Cards and phones as rows"). Idempotent.
--
-- Who holds each card number and each phone number of a program (a phone as its peppered hash,
-- "tel:…", never the number). The primary key makes a key belong to one member: a member write
-- that claims a key another member holds is refused whole. Written in the member's own statement
-- by the silo's group commit (GrainStateWriter); read by identify-by-card and -by-phone through the
-- silo's cache. A blocked key (a lost card) stays bound to its member and identifies nobody.
-- Replaces one card grain per card and per phone ("card" rows in grain_state, moved here once at
-- startup by LegacyCardMigration and deleted).
CREATE TABLE IF NOT EXISTS member_keys
(
    service_id text    NOT NULL,
    program_id text    NOT NULL,
    kind       text    NOT NULL,
    key        text    NOT NULL,
    member_id  text    NOT NULL,
    blocked    boolean NOT NULL DEFAULT false,
    CONSTRAINT member_keys_pk PRIMARY KEY (service_id, program_id, kind, key)
);
