-- Queries read the search index's documents a block of generations at a
-- time (by tgen or gen) instead of all at once, and the live rows' count
-- and total length (BM25's) from search_state. An index that already has
-- documents gets its counts from the driver, which must open their bodies.
CREATE INDEX search_docs_gen ON search_docs (gen);
INSERT INTO search_state (key, value) SELECT k, 0 FROM (VALUES ('rows'), ('lens')) AS v(k)
	WHERE NOT EXISTS (SELECT 1 FROM search_docs);
