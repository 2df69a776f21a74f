-- Loyalty.Orleans: bulk coupon series and their redemption records (docs/coupon-series.md). Idempotent.
--
-- A series is generated in chunks: each chunk's codes are COPYed into coupon_codes and the series'
-- progress (generated) is advanced in the same transaction, under a row lock on the series, so a
-- crashed or repeated run resumes where the last committed chunk ended and never over-generates.
CREATE TABLE IF NOT EXISTS coupon_series
(
    program_id   text        NOT NULL,
    series_id    text        NOT NULL,
    code_count   integer     NOT NULL,
    generated    integer     NOT NULL DEFAULT 0,
    -- the CouponDefinition, Orleans binary serialization (version tolerant)
    definition   bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    completed_at timestamptz NULL,
    CONSTRAINT coupon_series_pk PRIMARY KEY (program_id, series_id)
);

-- Codes are unique per program across all series (the primary key); a chunk that collides is
-- rolled back and generated again with fresh codes.
CREATE TABLE IF NOT EXISTS coupon_codes
(
    program_id text NOT NULL,
    code       text NOT NULL,
    series_id  text NOT NULL,
    CONSTRAINT coupon_codes_pk PRIMARY KEY (program_id, code)
);

CREATE INDEX IF NOT EXISTS coupon_codes_series ON coupon_codes (program_id, series_id);

-- The redemption state of series codes, written in batches from the coupon grains' outboxes.
-- version orders the records of one code: an older record never overwrites a newer one.
CREATE TABLE IF NOT EXISTS coupon_redemptions
(
    program_id     text        NOT NULL,
    code           text        NOT NULL,
    series_id      text        NOT NULL,
    version        bigint      NOT NULL,
    redeemed       boolean     NOT NULL,
    transaction_id text        NULL,
    member_id      text        NULL,
    redeemed_at    timestamptz NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT coupon_redemptions_pk PRIMARY KEY (program_id, code)
);

CREATE INDEX IF NOT EXISTS coupon_redemptions_series ON coupon_redemptions (program_id, series_id) WHERE redeemed;
