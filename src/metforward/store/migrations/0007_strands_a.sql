-- 0007: the MPS dashboards behind the plan's strands (violence against women and girls, business crime,
-- fairness in outcomes) and the homicide proceedings file (London Datastore), one row per published count.

-- MPS Violence Against Women and Girls dashboard: offences and victims. ``breakdown`` says which sheet the
-- row is from: ``location`` (borough and ward by month), ``classification`` (offence type by month, London),
-- ``age`` and ``ethnicity`` (victims by age group or ethnic appearance by month, London). Each sheet totals
-- the same offences (or victims): a figure is read from one breakdown at a time, never summed across them.
CREATE TABLE vawg_counts (
    load_id          BIGINT NOT NULL,
    line             BIGINT NOT NULL,
    measure          VARCHAR NOT NULL,   -- offences | victims
    breakdown        VARCHAR NOT NULL,   -- location | classification | age | ethnicity
    month            DATE NOT NULL,      -- the month the offence was recorded
    committed_month  DATE,               -- the month it was committed (from), where given
    bcu              VARCHAR,            -- the MPS Basic Command Unit, as published
    borough_code     VARCHAR,            -- GSS code; NULL for the publisher's Other and Unknown
    borough_name     VARCHAR,            -- as published
    ward_name        VARCHAR,            -- as published (N/K: not known); NULL where empty
    crime_group      VARCHAR,            -- classification: the offence group (Rape, Stalking and Harassment, ...)
    offence_type     VARCHAR,            -- classification: the offence type within the group
    offence          VARCHAR,            -- classification: the Home Office offence
    vawg_offence     VARCHAR,            -- classification: the dashboard's own offence name
    age_group        VARCHAR,            -- age: the victim's age group
    ethnic_group     VARCHAR,            -- ethnicity: the victim's ethnic appearance group
    count            BIGINT NOT NULL
);

-- MPS Business Crime dashboard: offences against businesses, and the outcomes recorded for them.
CREATE TABLE business_crime (
    load_id        BIGINT NOT NULL,
    line           BIGINT NOT NULL,
    measure        VARCHAR NOT NULL,     -- offences | outcomes
    day            DATE NOT NULL,        -- the date of the row (offence or outcome recorded)
    month          DATE NOT NULL,        -- its month
    borough_code   VARCHAR,              -- GSS code; NULL for the publisher's Other and Unknown
    borough_name   VARCHAR NOT NULL,     -- as published
    crime_section  VARCHAR NOT NULL,
    crime_group    VARCHAR NOT NULL,
    outcome        VARCHAR,              -- outcomes: the outcome as published (NULL where empty)
    positive       BOOLEAN,              -- outcomes: the MPS's positive-outcome flag (Y/N)
    count          BIGINT NOT NULL,
    refresh_date   DATE
);

-- MPS custody: disposals of people brought into custody, by month, sex, age group, ethnicity (4 + 1
-- groups), offence group and disposal. London-wide (no borough).
CREATE TABLE custody_disposals (
    load_id        BIGINT NOT NULL,
    line           BIGINT NOT NULL,
    month          DATE NOT NULL,
    gender         VARCHAR NOT NULL,
    age_group      VARCHAR NOT NULL,     -- Adult | Child | Not Recorded
    ethnicity      VARCHAR NOT NULL,     -- White | Black | Asian | Other | Not Recorded
    offence_group  VARCHAR NOT NULL,
    disposal       VARCHAR NOT NULL,     -- No Further Action | Prosecution | Out of Court | ...
    count          BIGINT NOT NULL
);

-- MPS homicide dashboard: people proceeded against (charged or summonsed) for homicide, by month.
CREATE TABLE homicide_proceedings (
    load_id           BIGINT NOT NULL,
    line              BIGINT NOT NULL,
    month             DATE NOT NULL,     -- the month of the proceedings
    borough_code      VARCHAR,           -- GSS code; NULL for Heathrow
    borough_name      VARCHAR NOT NULL,  -- as published
    gender            VARCHAR NOT NULL,
    age_group         VARCHAR NOT NULL,
    ethnicity         VARCHAR NOT NULL,  -- self-classified, as published
    offence_type      VARCHAR NOT NULL,  -- Murder | Manslaughter | ...
    charged_summonsed VARCHAR NOT NULL,  -- Charge or Summons | Accused is Deceased | ...
    count             BIGINT NOT NULL
);
