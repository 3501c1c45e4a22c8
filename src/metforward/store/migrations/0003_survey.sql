-- MOPAC Public Attitude Survey (PAS) measures, one row per published figure (long form).
CREATE TABLE survey (
    load_id       BIGINT NOT NULL,
    line          BIGINT NOT NULL,     -- physical line of the input row the figure came from
    dataset       VARCHAR NOT NULL,    -- which published table (pas-dashboard-borough, pas-neighbourhood-ethnicity, ...)
    period_start  DATE NOT NULL,       -- first day the figure covers
    period_end    DATE NOT NULL,       -- last day the figure covers (the quarter end for rolling-12-month measures)
    period_kind   VARCHAR NOT NULL,    -- rolling-12m | month | pooled | year
    level         VARCHAR NOT NULL,    -- london | borough | neighbourhood
    area_code     VARCHAR NOT NULL,    -- GSS code (E12000007 for London); unmatched names are rejects
    area_name     VARCHAR NOT NULL,    -- the name as published
    neighbourhood VARCHAR,             -- PAS neighbourhood (level = neighbourhood)
    measure       VARCHAR NOT NULL,    -- measure as published (question text or dashboard name)
    response      VARCHAR,             -- what counts as a yes (e.g. '% Strongly agree/Tend to agree'), when published
    group_name    VARCHAR NOT NULL,    -- 'all' or a respondent group (e.g. 'Black')
    proportion    DOUBLE NOT NULL,     -- 0..1
    n             DOUBLE,              -- respondents, when published
    successes     DOUBLE               -- respondents giving the counted answers, when published
);
