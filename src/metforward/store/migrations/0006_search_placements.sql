-- 0006: a record of which stop-and-search loads are placed, and against which boundaries.
--
-- A load's searches are placed in the same transaction that loads them (and every search again in
-- the transaction of a boundaries load). A search load with no row here, or a row naming other
-- boundaries or lookups than the current ones (a lookups load changes how wards nest), has
-- searches not yet placed: `metforward status` shows them and the end of the run, or else the
-- next `ingest` or `fetch`, places them. Stores made before this migration have no rows
-- here, so their searches are placed again once.
CREATE TABLE search_placements (
    load_id     BIGINT NOT NULL,    -- a stop-and-search load
    boundaries  VARCHAR NOT NULL,   -- the boundaries and lookups its searches were placed against (placement_version)
    placed_at   TIMESTAMP NOT NULL
);

-- What searches are placed against: the loads of every boundary polygon and of the ONS lookups
-- (which give a ward's and an LSOA's borough) in the store.
CREATE VIEW placement_version AS
SELECT coalesce(array_to_string(list_sort(list(DISTINCT load_id)), ','), '') AS version
FROM (
    SELECT load_id FROM areas WHERE geometry IS NOT NULL
    UNION ALL SELECT load_id FROM lsoa_lookup
    UNION ALL SELECT load_id FROM lsoa_wards
);
