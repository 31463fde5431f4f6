-- Applications become full OAuth 2.0 clients (RFC 6749 s.2): a client type, registered redirect URIs and
-- the grant types they may use. Defaults keep every existing row a confidential client_credentials client.
ALTER TABLE applications
    ADD COLUMN client_type   text NOT NULL DEFAULT 'confidential',
    ADD COLUMN redirect_uris text[] NOT NULL DEFAULT '{}',
    ADD COLUMN grant_types   text[] NOT NULL DEFAULT '{client_credentials}';

ALTER TABLE applications
    ADD CONSTRAINT applications_client_type CHECK (client_type IN ('confidential', 'public'));

-- A public client (RFC 6749 s.2.1) has no secret; a confidential one always has one.
ALTER TABLE applications ALTER COLUMN secret_hash DROP NOT NULL;

ALTER TABLE applications
    ADD CONSTRAINT applications_secret_matches_type CHECK ((client_type = 'public') = (secret_hash IS NULL));
