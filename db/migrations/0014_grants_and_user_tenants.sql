-- A grant is what one sign-in gave one application: the authorization code, the access tokens issued from it, and
-- the refresh token family with every access token its rotations minted. Every such access token carries the
-- grant's id (claim grant_id), so one revocation row of kind 'grant' kills all of them at every resource server,
-- including an access token minted by a rotation that commits at the same moment (RFC 9700 s.4.14.2, RFC 7009 s.2.1,
-- RFC 6749 s.4.1.2). The id is fixed when the code is redeemed; the family (if any) takes the same id.
ALTER TABLE authorization_codes ADD COLUMN grant_id uuid;
CREATE INDEX authorization_codes_grant_user ON authorization_codes (user_id) WHERE grant_id IS NOT NULL;

-- The tenant a signed-in user's tokens carry (chosen at /oauth2/authorize), kept for every refresh of the grant.
ALTER TABLE authorization_codes ADD COLUMN tenant text;
ALTER TABLE refresh_token_families ADD COLUMN tenant text;

ALTER TABLE revocations DROP CONSTRAINT revocations_kind;
ALTER TABLE revocations ADD CONSTRAINT revocations_kind CHECK (kind IN ('jti', 'client', 'grant'));
-- Revoking the same grant twice records it once.
CREATE UNIQUE INDEX revocations_grant_unique ON revocations (value) WHERE kind = 'grant';

-- RFC 8707: the resource (audience) named at /oauth2/authorize, kept for the code's exchange and the grant's refreshes.
ALTER TABLE authorization_codes ADD COLUMN resource text;
ALTER TABLE refresh_token_families ADD COLUMN resource text;
