-- Items' own keys (store.ItemKey): the one item table whose rows may be
-- deleted, which is how an item is crypto-shredded. The handle and the
-- wrapped key are sealed like every content field; only the item ID and
-- the generation are in the clear. Rows are never updated.
CREATE TABLE item_keys (
	item_id text COLLATE "C" PRIMARY KEY REFERENCES items (id),
	gen     integer NOT NULL,
	body    bytea NOT NULL                -- handle and wrapped key
);
CREATE TRIGGER item_keys_no_update BEFORE UPDATE ON item_keys FOR EACH ROW EXECUTE FUNCTION sori_immutable();
