-- The index queue replaces the search index's mark (items_indexed: every
-- item of a higher n was pending). A new item is queued in its intake's
-- transaction and taken off by the transaction that indexes it, so an item
-- is pending exactly while its row exists, whatever order concurrent
-- intakes commit in. Items the mark had not passed are queued here.
CREATE TABLE search_queue (
	n    bigserial PRIMARY KEY,           -- queue order (intake order)
	item text COLLATE "C" NOT NULL UNIQUE REFERENCES items (id)
);
INSERT INTO search_queue (item) SELECT id FROM items
	WHERE n > coalesce((SELECT value FROM search_state WHERE key = 'items_indexed'), 0) ORDER BY n;
DELETE FROM search_state WHERE key = 'items_indexed';
