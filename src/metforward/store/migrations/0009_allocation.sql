-- Area measures the resource allocation formula reads (docs/allocation.md): figures published once a
-- year (or once) per area, such as the English Indices of Deprivation 2019 borough summaries, the
-- GLA's housing density (population per hectare) and TfL's public transport access by ward.
-- One row per dataset, area, year and measure; a newer load of the same dataset replaces the rows of
-- the areas, years and measures it carries.
CREATE TABLE area_measures (
    load_id       BIGINT NOT NULL,
    line          BIGINT NOT NULL,     -- 1-based physical line of the input row the figure came from
    dataset       VARCHAR NOT NULL,    -- deprivation-borough | housing-density | ptal-ward
    level         VARCHAR NOT NULL,    -- borough | ward | region | other (from the GSS code's prefix)
    area_code     VARCHAR NOT NULL,    -- GSS code
    area_name     VARCHAR,             -- as published
    borough_code  VARCHAR,             -- the borough of the area (itself for a borough; NULL where not known)
    year          INTEGER NOT NULL,    -- the year the figure describes (mid-year, index year, survey year)
    measure       VARCHAR NOT NULL,    -- the publisher's column name, trimmed ('IMD - Average score')
    value         DOUBLE NOT NULL,
    unit          VARCHAR,             -- 'score', 'rank', 'persons', 'persons per hectare', 'PTAI', ...
    source        VARCHAR NOT NULL     -- the publisher and the basis of the figure ('GLA Population Projections')
);
