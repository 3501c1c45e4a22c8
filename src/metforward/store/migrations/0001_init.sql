-- 0001: raw layer, provenance, reference tables and the placement views.

CREATE SEQUENCE load_ids START 1;

-- One row for every load ever made: what came from where, when, with what result.
CREATE TABLE loads (
    load_id        BIGINT PRIMARY KEY,
    kind           VARCHAR NOT NULL,   -- street | outcomes | stop-and-search | datastore-* | boundaries | lookup-* | population-*
    force          VARCHAR,            -- police.uk force id (police.uk kinds only)
    months         DATE[],             -- months the loaded rows cover (empty for reference data)
    source_path    VARCHAR NOT NULL,   -- the file, folder member or zip as given
    member         VARCHAR,            -- the member inside a zip archive, if any
    sha256         VARCHAR NOT NULL,   -- of the file's bytes as read (before decompression)
    bytes          BIGINT NOT NULL,
    rows_read      BIGINT NOT NULL,
    rows_loaded    BIGINT NOT NULL,
    rows_rejected  BIGINT NOT NULL,
    loaded_at      TIMESTAMP NOT NULL,
    replaces       BIGINT[],           -- earlier loads whose rows this load replaced (in whole or part)
    replaced_by    BIGINT              -- the later load that replaced this one's rows
);

-- Every input row that was not loaded, with the reason.
CREATE TABLE rejects (
    load_id  BIGINT NOT NULL,
    source   VARCHAR NOT NULL,
    line     BIGINT,                   -- 1-based physical line in the (decompressed) file; the header is line 1
    field    VARCHAR,
    value    VARCHAR,
    reason   VARCHAR NOT NULL
);

-- police.uk street-level crime (and anti-social behaviour) rows.
CREATE TABLE crimes (
    load_id       BIGINT NOT NULL,
    line          BIGINT NOT NULL,
    crime_id      VARCHAR,             -- empty for anti-social behaviour
    month         DATE NOT NULL,
    force         VARCHAR NOT NULL,
    reported_by   VARCHAR,
    falls_within  VARCHAR,
    longitude     DOUBLE,
    latitude      DOUBLE,
    location      VARCHAR,
    lsoa_code     VARCHAR,             -- as published: LSOA 2011 or 2021
    lsoa_name     VARCHAR,
    crime_type    VARCHAR NOT NULL,
    last_outcome  VARCHAR,
    context       VARCHAR
);

-- police.uk outcomes rows.
CREATE TABLE outcomes (
    load_id       BIGINT NOT NULL,
    line          BIGINT NOT NULL,
    crime_id      VARCHAR NOT NULL,
    month         DATE NOT NULL,
    force         VARCHAR NOT NULL,
    reported_by   VARCHAR,
    falls_within  VARCHAR,
    longitude     DOUBLE,
    latitude      DOUBLE,
    location      VARCHAR,
    lsoa_code     VARCHAR,
    lsoa_name     VARCHAR,
    outcome_type  VARCHAR NOT NULL
);

-- police.uk stop-and-search rows.
CREATE TABLE searches (
    load_id                    BIGINT NOT NULL,
    line                       BIGINT NOT NULL,
    force                      VARCHAR NOT NULL,
    month                      DATE NOT NULL,      -- the month in London local time, as police.uk files them
    search_type                VARCHAR NOT NULL,
    occurred_at                TIMESTAMPTZ NOT NULL,
    part_of_operation          BOOLEAN,
    operation                  VARCHAR,
    latitude                   DOUBLE,
    longitude                  DOUBLE,
    gender                     VARCHAR,
    age_range                  VARCHAR,
    self_defined_ethnicity     VARCHAR,
    officer_defined_ethnicity  VARCHAR,
    legislation                VARCHAR,
    object_of_search           VARCHAR,
    outcome                    VARCHAR,
    outcome_linked             BOOLEAN,
    removal_of_clothing        BOOLEAN,
    lsoa_code                  VARCHAR            -- LSOA 2021 found from the coordinates when boundaries are loaded
);

-- London Datastore recorded-crime counts, stored long.
CREATE TABLE area_counts (
    load_id       BIGINT NOT NULL,
    line          BIGINT NOT NULL,
    kind          VARCHAR NOT NULL,   -- datastore-borough-2008 | datastore-borough | datastore-ward | datastore-lsoa
    level         VARCHAR NOT NULL,   -- borough | ward | lsoa
    area_code     VARCHAR,            -- GSS code; NULL where the publisher's unit is not an area (e.g. "Unknown")
    area_name     VARCHAR NOT NULL,
    borough_code  VARCHAR,
    borough_name  VARCHAR,
    month         DATE NOT NULL,
    major         VARCHAR NOT NULL,
    minor         VARCHAR NOT NULL,
    count         BIGINT NOT NULL
);

-- Boundaries: one row per area and vintage, geometry as WKB in WGS84 (EPSG:4326).
CREATE TABLE areas (
    load_id   BIGINT NOT NULL,
    level     VARCHAR NOT NULL,
    code      VARCHAR NOT NULL,
    name      VARCHAR,
    vintage   VARCHAR NOT NULL,
    area_km2  DOUBLE,
    geometry  BLOB
);

-- ONS LSOA 2011 -> LSOA 2021 (-> local authority) lookup.
CREATE TABLE lsoa_lookup (
    load_id      BIGINT NOT NULL,
    lsoa11_code  VARCHAR NOT NULL,
    lsoa21_code  VARCHAR NOT NULL,
    lsoa21_name  VARCHAR,
    change       VARCHAR,             -- ONS CHGIND: U unchanged, S split, M merged, X irregular
    lad_code     VARCHAR,
    lad_name     VARCHAR
);

-- ONS LSOA 2021 -> electoral ward -> local authority best-fit lookups.
CREATE TABLE lsoa_wards (
    load_id      BIGINT NOT NULL,
    vintage      VARCHAR NOT NULL,    -- ward vintage, e.g. 2024
    lsoa21_code  VARCHAR NOT NULL,
    lsoa21_name  VARCHAR,
    ward_code    VARCHAR NOT NULL,
    ward_name    VARCHAR,
    lad_code     VARCHAR NOT NULL,
    lad_name     VARCHAR
);

-- Resident population estimates.
CREATE TABLE population (
    load_id     BIGINT NOT NULL,
    level       VARCHAR NOT NULL,     -- borough | lsoa
    area_code   VARCHAR NOT NULL,
    area_name   VARCHAR,
    year        INTEGER NOT NULL,     -- mid-year of the estimate
    population  DOUBLE NOT NULL,
    source      VARCHAR NOT NULL
);

-- Every LSOA code a police.uk file may carry (2011 or 2021 vintage), placed in the hierarchy.
-- A 2011 LSOA split in 2021 maps to the lowest-numbered of its 2021 parts (same borough).
CREATE VIEW lsoa_places AS
WITH ward AS (
    SELECT * FROM lsoa_wards
    QUALIFY row_number() OVER (PARTITION BY lsoa21_code ORDER BY vintage DESC) = 1
),
lsoa21 AS (
    SELECT lsoa21_code, max(lsoa21_name) AS lsoa21_name, max(lad_code) AS lad_code, max(lad_name) AS lad_name
    FROM (
        SELECT lsoa21_code, lsoa21_name, lad_code, lad_name FROM ward
        UNION ALL
        SELECT lsoa21_code, lsoa21_name, lad_code, lad_name FROM lsoa_lookup
    )
    GROUP BY lsoa21_code
),
codes AS (
    SELECT lsoa21_code AS lsoa_code, lsoa21_code FROM lsoa21
    UNION ALL
    SELECT lsoa11_code AS lsoa_code, min(lsoa21_code) AS lsoa21_code
    FROM lsoa_lookup
    WHERE lsoa11_code NOT IN (SELECT lsoa21_code FROM lsoa21)
    GROUP BY lsoa11_code
)
SELECT
    codes.lsoa_code,
    codes.lsoa21_code,
    lsoa21.lsoa21_name,
    ward.ward_code,
    ward.ward_name,
    coalesce(ward.lad_code, lsoa21.lad_code) AS borough_code,
    coalesce(ward.lad_name, lsoa21.lad_name) AS borough_name
FROM codes
JOIN lsoa21 USING (lsoa21_code)
LEFT JOIN ward USING (lsoa21_code);

CREATE VIEW crimes_placed AS
SELECT c.*, p.lsoa21_code, p.ward_code, p.ward_name, p.borough_code, p.borough_name
FROM crimes c LEFT JOIN lsoa_places p ON p.lsoa_code = c.lsoa_code;

CREATE VIEW outcomes_placed AS
SELECT o.*, p.lsoa21_code, p.ward_code, p.ward_name, p.borough_code, p.borough_name
FROM outcomes o LEFT JOIN lsoa_places p ON p.lsoa_code = o.lsoa_code;

CREATE VIEW searches_placed AS
SELECT s.*, p.lsoa21_code, p.ward_code, p.ward_name, p.borough_code, p.borough_name
FROM searches s LEFT JOIN lsoa_places p ON p.lsoa_code = s.lsoa_code;
