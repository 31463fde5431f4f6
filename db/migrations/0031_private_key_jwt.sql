-- Issue 17 point 1: private_key_jwt client authentication (RFC 7523 s.2.2, OIDC Core s.9).
-- token_endpoint_auth_method: NULL keeps what the row implies (a secret: client_secret_basic/post; public: none);
-- 'private_key_jwt' means no secret and an inline public JWK Set (RFC 7517) in jwks.
ALTER TABLE applications
    ADD COLUMN token_endpoint_auth_method text CHECK (token_endpoint_auth_method IN ('private_key_jwt')),
    ADD COLUMN jwks jsonb,
    ADD CONSTRAINT applications_private_key_jwt_has_keys
        CHECK (token_endpoint_auth_method IS NULL OR (jwks IS NOT NULL AND client_type = 'confidential'));

-- 0004 said: a confidential client always has a secret. A private_key_jwt one is confidential and has keys instead.
ALTER TABLE applications DROP CONSTRAINT applications_secret_matches_type;
ALTER TABLE applications
    ADD CONSTRAINT applications_secret_matches_type
        CHECK ((client_type = 'public' OR token_endpoint_auth_method IS NOT NULL) = (secret_hash IS NULL));

-- RFC 7523 s.3 item 7: a client assertion's jti is used once. Each row lives until the assertion's exp (then it
-- could not be replayed anyway); the primary key makes the first use win on every instance at once.
CREATE TABLE client_assertion_jtis (
    client_id  text NOT NULL,
    jti        text NOT NULL CHECK (length(jti) <= 256),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (client_id, jti)
);

CREATE INDEX client_assertion_jtis_expires_at ON client_assertion_jtis (expires_at);
