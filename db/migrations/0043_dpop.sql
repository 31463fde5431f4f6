-- Issue 17 point 2: DPoP (RFC 9449). require_dpop: the application's tokens must be bound to a DPoP key (every token
-- request carries a proof with a server nonce); false keeps Bearer tokens, with DPoP at the client's choice.
ALTER TABLE applications ADD COLUMN require_dpop boolean NOT NULL DEFAULT false;

-- RFC 9449 s.5: a grant obtained with a DPoP proof remembers the key's thumbprint (RFC 7638), so a public client's
-- refresh token is refused without a proof of that key, and no DPoP grant falls back to Bearer tokens.
ALTER TABLE refresh_token_families ADD COLUMN dpop_jkt text CHECK (dpop_jkt IS NULL OR length(dpop_jkt) <= 64);
