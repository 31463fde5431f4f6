-- RS256 signing keys. The public half is stored in clear (it is published in the JWKS); the private half
-- (PKCS#8) is sealed with AES-256-GCM under the key-encryption key from configuration: nonce || ciphertext || tag.
CREATE TABLE signing_keys (
    kid                 text PRIMARY KEY,
    algorithm           text NOT NULL DEFAULT 'RS256',
    public_modulus      text NOT NULL,  -- base64url n
    public_exponent     text NOT NULL,  -- base64url e
    private_key_sealed  bytea NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    -- Published in the JWKS from created_at; used for signing from activates_at (lead time for caches).
    activates_at        timestamptz NOT NULL DEFAULT now(),
    -- Set when a newer key takes over; the key stays published until every token it signed has expired.
    retired_at          timestamptz,
    CONSTRAINT signing_keys_algorithm CHECK (algorithm = 'RS256')
);

CREATE INDEX signing_keys_activates_at ON signing_keys (activates_at);
