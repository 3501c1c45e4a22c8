-- 0005: the MPS Monthly Crime Dashboard (London Datastore): offences and positive outcomes by
-- borough or Safer Neighbourhood Team, crime type and month.

CREATE TABLE dashboard_counts (
    load_id        BIGINT NOT NULL,
    line           BIGINT NOT NULL,
    month          DATE NOT NULL,
    area_type      VARCHAR NOT NULL,   -- Borough | Safer Neighbourhood Teams
    area_code      VARCHAR,            -- GSS code (E09 borough, E05 ward); NULL where the file has none
    area_name      VARCHAR NOT NULL,
    borough_code   VARCHAR,            -- the borough of the row (NULL where it cannot be told)
    crime_type     VARCHAR NOT NULL,
    crime_subtype  VARCHAR NOT NULL,
    measure        VARCHAR NOT NULL,   -- Offences | Positive Outcomes
    count          BIGINT NOT NULL,
    refresh_date   DATE
);
