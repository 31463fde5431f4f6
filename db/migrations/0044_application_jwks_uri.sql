-- Issue 17 point 1: a private_key_jwt application registers its public keys inline (jwks) or where it publishes
-- them (jwks_uri, RFC 7591 s.2 / OIDC Core s.9: the client rotates its keys there without calling us). One or the other.
ALTER TABLE applications
    ADD COLUMN jwks_uri text CHECK (length(jwks_uri) <= 2000),
    ADD CONSTRAINT applications_jwks_or_jwks_uri CHECK (jwks IS NULL OR jwks_uri IS NULL);

ALTER TABLE applications DROP CONSTRAINT applications_private_key_jwt_has_keys;
ALTER TABLE applications
    ADD CONSTRAINT applications_private_key_jwt_has_keys
        CHECK (token_endpoint_auth_method IS NULL
               OR ((jwks IS NOT NULL OR jwks_uri IS NOT NULL) AND client_type = 'confidential'));
