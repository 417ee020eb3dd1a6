-- Witnesses' cosignatures of checkpoints, kept so that exports carry them:
-- the size cosigned in the clear (to find the newest at or below a bundle's
-- checkpoint), the rest sealed.
CREATE TABLE cosignatures (
	id   bigserial PRIMARY KEY,
	size bigint NOT NULL,
	body bytea NOT NULL                   -- note, witness key, line, time
);
CREATE INDEX cosignatures_size ON cosignatures (size);
