-- 0008: MPS homicide victims (London Datastore homicide dashboard, victim level), the MOPAC 2013 list of
-- police front counters kept or cut, and police station locations.

-- One row per row of the MPS homicide victims file: victims (Count of Victims) by the month the
-- homicide was recorded and the published attributes, kept as published (trimmed).
CREATE TABLE homicide_victims (
    load_id         BIGINT NOT NULL,
    line            BIGINT NOT NULL,
    month           DATE NOT NULL,      -- Recorded Date (Mon-YY), first of the month
    borough_code    VARCHAR,            -- GSS code; NULL for a unit that is not a borough (e.g. Heathrow)
    borough_name    VARCHAR NOT NULL,   -- as published, trimmed
    age_group       VARCHAR,            -- '0 to 12', '13 to19', '20 to 24', ... as published
    sex             VARCHAR,
    method          VARCHAR,            -- Method of Killing
    domestic_abuse  VARCHAR,            -- 'Domestic Abuse' | 'Not Domestic Abuse'
    offence_type    VARCHAR,            -- Homicide Offence Type: Murder, Manslaughter, ...
    solved_status   VARCHAR,
    ethnicity       VARCHAR,            -- Officer Observed Ethnicity
    victims         BIGINT NOT NULL     -- Count of Victims
);

-- MOPAC's 2013 Public Access and Engagement Strategy: each Met front counter, kept or cut, its
-- opening before (current) and after (proposed) the closures. WGS84 coordinates as published.
CREATE TABLE front_counters (
    load_id       BIGINT NOT NULL,
    line          BIGINT NOT NULL,
    name          VARCHAR NOT NULL,
    borough_code  VARCHAR,             -- GSS code from the published local authority
    borough_name  VARCHAR NOT NULL,    -- as published
    longitude     DOUBLE NOT NULL,
    latitude      DOUBLE NOT NULL,
    status        VARCHAR NOT NULL,    -- keep | cut
    current       VARCHAR NOT NULL,    -- opening before: 24HR, DAY TIME, VOLUNTEER, TEMPORARY, CLOSED
    proposed      VARCHAR NOT NULL     -- opening after: 24HR, DAY TIME, CLOSED
);

-- Police station locations (a list of names with coordinates).
CREATE TABLE police_stations (
    load_id    BIGINT NOT NULL,
    line       BIGINT NOT NULL,
    name       VARCHAR NOT NULL,
    longitude  DOUBLE NOT NULL,
    latitude   DOUBLE NOT NULL
);
