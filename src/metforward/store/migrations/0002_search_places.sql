-- 0002: stop-and-search placed by point-in-polygon (borough, ward, LSOA), and Census population by group.

-- DuckDB will not alter a table a view depends on: drop the view, alter, recreate.
DROP VIEW searches_placed;

-- Borough (local authority) and electoral ward whose polygon holds the search's coordinates
-- (newest boundary vintage loaded); NULL where the point is outside every loaded polygon or
-- the search has no location. lsoa_code (0001) is placed the same way.
ALTER TABLE searches ADD COLUMN ward_code VARCHAR;
ALTER TABLE searches ADD COLUMN borough_code VARCHAR;

-- Resident population by group (e.g. Census 2021 ethnic group), one row per area, year and group.
CREATE TABLE population_groups (
    load_id     BIGINT NOT NULL,
    level       VARCHAR NOT NULL,     -- borough (UTLA / local authority) | ward | lsoa | ...
    area_code   VARCHAR NOT NULL,
    area_name   VARCHAR,
    year        INTEGER NOT NULL,     -- census year
    group_code  VARCHAR,              -- the publisher's category code (e.g. "4")
    group_name  VARCHAR NOT NULL,     -- the publisher's category name, as published
    population  DOUBLE NOT NULL,
    source      VARCHAR NOT NULL
);

-- Searches with the areas they were placed in by point-in-polygon, and their names. Where no
-- borough boundaries are loaded but the search is in a loaded LSOA, the borough is the LSOA's
-- (LSOAs nest exactly in local authorities); the ward is only ever the point-in-polygon one.
CREATE VIEW searches_placed AS
SELECT
    s.* EXCLUDE (borough_code),
    coalesce(s.borough_code, p.borough_code) AS borough_code,
    s.lsoa_code AS lsoa21_code,
    w.name AS ward_name,
    coalesce(b.name, p.borough_name) AS borough_name
FROM searches s
LEFT JOIN lsoa_places p ON p.lsoa_code = s.lsoa_code
LEFT JOIN (SELECT code, max(name) AS name FROM areas WHERE level = 'ward' GROUP BY code) w ON w.code = s.ward_code
LEFT JOIN (SELECT code, max(name) AS name FROM areas WHERE level = 'borough' GROUP BY code) b
    ON b.code = coalesce(s.borough_code, p.borough_code);
