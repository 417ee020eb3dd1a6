-- Re-sealing under a new database key (a key rotation, rekey.go). The
-- evidence tables' triggers refuse every update; they now let one kind
-- through: in a transaction that declared a re-seal (the transaction-local
-- setting sori.reseal = 'on'), an update that changes only the row's
-- sealed columns (the trigger's arguments), NULL staying NULL and a value
-- staying a value. Every clear column (IDs, versions, kinds, sizes, times,
-- actors) must be equal. The server cannot see that the plaintext is the
-- same; the driver opens each field and seals the same bytes again, and
-- sori verify checks every version against its digest and the custody log.
CREATE FUNCTION sori_resealing(old_row jsonb, new_row jsonb, sealed text[]) RETURNS boolean
LANGUAGE sql STABLE AS $$
	SELECT coalesce(current_setting('sori.reseal', true), '') = 'on'
		AND cardinality(sealed) > 0
		AND (old_row - sealed) = (new_row - sealed)
		AND NOT EXISTS (SELECT 1 FROM unnest(sealed) AS c
			WHERE (old_row -> c = 'null'::jsonb) IS DISTINCT FROM (new_row -> c = 'null'::jsonb))
$$;

CREATE OR REPLACE FUNCTION sori_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE' AND TG_NARGS > 0 AND sori_resealing(to_jsonb(OLD), to_jsonb(NEW), TG_ARGV::text[]) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE OR REPLACE FUNCTION sori_purge_only_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF sori_resealing(to_jsonb(OLD), to_jsonb(NEW), ARRAY['record', 'digest']) THEN
		RETURN NEW;
	END IF;
	IF NEW.record IS NULL AND OLD.record IS NOT NULL AND NEW.item_id = OLD.item_id AND NEW.version = OLD.version
		AND NEW.digest = OLD.digest AND NEW.created_at = OLD.created_at AND NEW.actor = OLD.actor
		AND EXISTS (SELECT 1 FROM purged WHERE kind = 'item' AND id = OLD.item_id AND version = OLD.version) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'item versions are immutable' USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE OR REPLACE FUNCTION sori_purge_only_records() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF sori_resealing(to_jsonb(OLD), to_jsonb(NEW), ARRAY['record', 'digest']) THEN
		RETURN NEW;
	END IF;
	IF NEW.record IS NULL AND OLD.record IS NOT NULL AND NEW.id = OLD.id AND NEW.version = OLD.version AND NEW.kind = OLD.kind
		AND NEW.digest = OLD.digest AND NEW.created_at = OLD.created_at AND NEW.actor = OLD.actor
		AND EXISTS (SELECT 1 FROM purged WHERE kind = 'record' AND id = OLD.id AND version = OLD.version) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'records are immutable' USING ERRCODE = 'integrity_constraint_violation';
END $$;

-- The triggers name their tables' sealed columns. Deletes stay refused.
DROP TRIGGER items_immutable ON items;
CREATE TRIGGER items_immutable BEFORE UPDATE OR DELETE ON items FOR EACH ROW EXECUTE FUNCTION sori_immutable('sha256');
DROP TRIGGER custody_immutable ON custody;
CREATE TRIGGER custody_immutable BEFORE UPDATE OR DELETE ON custody FOR EACH ROW EXECUTE FUNCTION sori_immutable('body');
DROP TRIGGER checkpoints_immutable ON checkpoints;
CREATE TRIGGER checkpoints_immutable BEFORE UPDATE OR DELETE ON checkpoints FOR EACH ROW EXECUTE FUNCTION sori_immutable('note');
DROP TRIGGER purged_immutable ON purged;
CREATE TRIGGER purged_immutable BEFORE UPDATE OR DELETE ON purged FOR EACH ROW EXECUTE FUNCTION sori_immutable('reason');
DROP TRIGGER item_keys_no_update ON item_keys;
CREATE TRIGGER item_keys_no_update BEFORE UPDATE ON item_keys FOR EACH ROW EXECUTE FUNCTION sori_immutable('body');
