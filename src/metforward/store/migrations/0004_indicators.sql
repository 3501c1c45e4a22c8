-- Named monthly indicators (police strength, Special Constables, victims updated within 28 days, ...)
-- loaded from any monthly CSV. One row per indicator, area and month. ``value`` is the figure
-- itself (a count or a level); for a share indicator it is the numerator and ``n`` the denominator
-- (the share is value / n). Reloading an indicator for an area replaces its earlier rows.
CREATE TABLE indicators (
    load_id    BIGINT NOT NULL,
    line       BIGINT NOT NULL,      -- 1-based physical line in the input file
    name       VARCHAR NOT NULL,     -- e.g. 'Police Officer Strength', 'Special constables (headcount)'
    area_code  VARCHAR NOT NULL,     -- police.uk force id ('metropolitan') or GSS code (E09..., E12000007 London)
    month      DATE NOT NULL,        -- first day of the month
    value      DOUBLE NOT NULL,
    n          DOUBLE,               -- denominator of a share indicator; NULL for counts and levels
    unit       VARCHAR,              -- 'FTE', 'headcount', 'hours', ...
    source     VARCHAR               -- where the figure was published (file, table)
);
