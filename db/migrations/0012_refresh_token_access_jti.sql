-- RFC 7009 s.2.1: revoking a refresh token should also invalidate the access tokens of the same grant. Each
-- refresh token row records the jti of the access token issued beside it, so revocation can feed those jtis to
-- resource servers.
ALTER TABLE refresh_tokens ADD COLUMN access_token_jti text;
