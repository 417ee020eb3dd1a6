-- sori metadata on PostgreSQL, schema 1. Every content field is
-- ciphertext (XChaCha20-Poly1305 under a key derived from the archive's
-- database key, the row's identity as associated data); equality lookups on
-- content use keyed HMAC columns (*_mac). Only structure is in the clear:
-- opaque IDs, sequence numbers, versions, kinds, sizes, times (Unix
-- nanoseconds). IDs are compared byte by byte (COLLATE "C").

CREATE TABLE meta (
	key   text COLLATE "C" PRIMARY KEY,
	value bytea NOT NULL
);

-- The content key generation new items must use (a number, as items'
-- key_gen is): in the clear so that the database itself refuses the rest.
CREATE TABLE content_gen (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	gen integer NOT NULL CHECK (gen >= 1)
);
INSERT INTO content_gen (one, gen) VALUES (true, 1);

CREATE TABLE users (
	id         text COLLATE "C" PRIMARY KEY,
	name_mac   bytea NOT NULL UNIQUE,
	body       bytea NOT NULL,            -- name, recipient, signing key
	role       bytea NOT NULL,
	created_at bigint NOT NULL,
	created_by text COLLATE "C"
);

CREATE TABLE items (
	id         text COLLATE "C" PRIMARY KEY,
	n          bigserial UNIQUE,          -- intake order (the index's pending mark)
	sha256     bytea NOT NULL,
	size       bigint NOT NULL,
	pack       text COLLATE "C" NOT NULL,
	off        bigint NOT NULL,
	len        bigint NOT NULL,
	key_gen    integer NOT NULL,
	created_at bigint NOT NULL,
	created_by text COLLATE "C" NOT NULL REFERENCES users (id)
);
CREATE INDEX items_size ON items (size);
CREATE INDEX items_intake ON items (created_at, id);

CREATE TABLE item_versions (
	item_id    text COLLATE "C" NOT NULL REFERENCES items (id),
	version    integer NOT NULL CHECK (version >= 1),
	record     bytea,                     -- NULL once purged
	digest     bytea NOT NULL,
	created_at bigint NOT NULL,
	actor      text COLLATE "C" NOT NULL REFERENCES users (id),
	PRIMARY KEY (item_id, version)
);

CREATE TABLE records (
	id         text COLLATE "C" NOT NULL,
	version    integer NOT NULL CHECK (version >= 1),
	kind       text COLLATE "C" NOT NULL,
	record     bytea,                     -- NULL once purged
	digest     bytea NOT NULL,
	created_at bigint NOT NULL,
	actor      text COLLATE "C" NOT NULL REFERENCES users (id),
	PRIMARY KEY (id, version)
);
CREATE INDEX records_kind ON records (kind, id);
CREATE INDEX records_time ON records (created_at, id, version);

CREATE TABLE custody (
	seq    bigint PRIMARY KEY CHECK (seq >= 0),
	kind   text COLLATE "C" NOT NULL,
	object text COLLATE "C" NOT NULL,
	body   bytea NOT NULL                 -- entry, signature, salt, content digest
);
CREATE INDEX custody_object ON custody (object, seq);

CREATE TABLE tlog_hashes (
	idx  bigint PRIMARY KEY,
	hash bytea NOT NULL
);

CREATE TABLE checkpoints (
	size       bigint PRIMARY KEY,
	note       bytea NOT NULL,
	created_at bigint NOT NULL
);

CREATE TABLE vault (
	mac          bytea PRIMARY KEY,       -- keyed hash of the pseudonym
	id           text COLLATE "C" NOT NULL UNIQUE,
	status       text NOT NULL CHECK (status IN ('active', 'withdrawn')),
	pseudonym    bytea NOT NULL,
	wrapped      bytea,
	entry        bytea,
	created_at   bigint NOT NULL,
	created_by   text COLLATE "C" NOT NULL REFERENCES users (id),
	withdrawn_at bigint,
	CHECK ((status = 'active') = (wrapped IS NOT NULL AND entry IS NOT NULL))
);

CREATE TABLE vault_names (
	entry text COLLATE "C" NOT NULL REFERENCES vault (id),
	mac   bytea NOT NULL,                 -- keyed hash of the name hash, per entry
	body  bytea NOT NULL,                 -- the name-net hash and its given flag
	PRIMARY KEY (entry, mac)
);

CREATE TABLE purged (
	kind       text NOT NULL CHECK (kind IN ('item', 'record')),
	id         text COLLATE "C" NOT NULL,
	version    integer NOT NULL,
	reason     bytea NOT NULL,
	created_at bigint NOT NULL,
	actor      text COLLATE "C" NOT NULL REFERENCES users (id),
	PRIMARY KEY (kind, id, version)
);

CREATE TABLE timestamps (
	id       bigserial PRIMARY KEY,
	size     bigint NOT NULL,
	gen_time bigint NOT NULL,
	body     bytea NOT NULL               -- note, TSA URL, token
);
CREATE INDEX timestamps_size ON timestamps (size);

CREATE TABLE log_witnesses (
	mac      bytea PRIMARY KEY,           -- keyed hash of the verifier key
	body     bytea NOT NULL,              -- key, URL
	added_at bigint NOT NULL
);

-- The search index (derived data, updated in place): terms are keyed
-- hashes, their names and posting lists ciphertext.
CREATE TABLE search_docs (
	doc  text COLLATE "C" PRIMARY KEY,
	tgen bigint NOT NULL UNIQUE,
	gen  bigint NOT NULL,
	body bytea NOT NULL                   -- kind, title, filters, row lengths
);
CREATE TABLE search_segs (
	seg   bigint PRIMARY KEY,
	level integer NOT NULL,
	lo    bigint NOT NULL,
	hi    bigint NOT NULL
);
CREATE TABLE search_terms (
	mac  bytea NOT NULL,
	seg  bigint NOT NULL,
	list bytea NOT NULL,
	PRIMARY KEY (mac, seg)
);
CREATE INDEX search_terms_seg ON search_terms (seg);
CREATE TABLE search_dict (                -- the terms' names, for prefix queries
	mac  bytea PRIMARY KEY,
	name bytea NOT NULL
);
CREATE TABLE search_dead (gen bigint PRIMARY KEY);
CREATE TABLE search_links (
	annotation text COLLATE "C" PRIMARY KEY,
	item       text COLLATE "C" NOT NULL,
	target     text COLLATE "C" NOT NULL
);
CREATE INDEX search_links_item ON search_links (item);
CREATE INDEX search_links_target ON search_links (target);
CREATE TABLE search_state (key text PRIMARY KEY, value bigint NOT NULL);
INSERT INTO search_state (key, value) VALUES ('next_gen', 1), ('next_seg', 1), ('version', 0), ('items_indexed', 0);

-- Evidence is never updated or deleted (the driver checks it in Go too);
-- a purge may only empty the body of a version listed in purged.
CREATE FUNCTION sori_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE FUNCTION sori_purge_only_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.record IS NULL AND OLD.record IS NOT NULL AND NEW.item_id = OLD.item_id AND NEW.version = OLD.version
		AND NEW.digest = OLD.digest AND NEW.created_at = OLD.created_at AND NEW.actor = OLD.actor
		AND EXISTS (SELECT 1 FROM purged WHERE kind = 'item' AND id = OLD.item_id AND version = OLD.version) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'item versions are immutable' USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE FUNCTION sori_purge_only_records() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.record IS NULL AND OLD.record IS NOT NULL AND NEW.id = OLD.id AND NEW.version = OLD.version AND NEW.kind = OLD.kind
		AND NEW.digest = OLD.digest AND NEW.created_at = OLD.created_at AND NEW.actor = OLD.actor
		AND EXISTS (SELECT 1 FROM purged WHERE kind = 'record' AND id = OLD.id AND version = OLD.version) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION 'records are immutable' USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE FUNCTION sori_current_gen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.key_gen <> (SELECT gen FROM content_gen) THEN
		RAISE EXCEPTION 'item under a retired content key (a user was removed since the archive was opened; open it again)'
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END $$;

CREATE TRIGGER items_current_gen BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION sori_current_gen();
CREATE TRIGGER items_immutable BEFORE UPDATE OR DELETE ON items FOR EACH ROW EXECUTE FUNCTION sori_immutable();
CREATE TRIGGER versions_no_delete BEFORE DELETE ON item_versions FOR EACH ROW EXECUTE FUNCTION sori_immutable();
CREATE TRIGGER versions_purge_only BEFORE UPDATE ON item_versions FOR EACH ROW EXECUTE FUNCTION sori_purge_only_versions();
CREATE TRIGGER records_no_delete BEFORE DELETE ON records FOR EACH ROW EXECUTE FUNCTION sori_immutable();
CREATE TRIGGER records_purge_only BEFORE UPDATE ON records FOR EACH ROW EXECUTE FUNCTION sori_purge_only_records();
CREATE TRIGGER custody_immutable BEFORE UPDATE OR DELETE ON custody FOR EACH ROW EXECUTE FUNCTION sori_immutable();
CREATE TRIGGER hashes_immutable BEFORE UPDATE OR DELETE ON tlog_hashes FOR EACH ROW EXECUTE FUNCTION sori_immutable();
CREATE TRIGGER checkpoints_immutable BEFORE UPDATE OR DELETE ON checkpoints FOR EACH ROW EXECUTE FUNCTION sori_immutable();
CREATE TRIGGER purged_immutable BEFORE UPDATE OR DELETE ON purged FOR EACH ROW EXECUTE FUNCTION sori_immutable();
