-- Issue 17 point 4: an application's own access-token lifetime. NULL: the server's AccessTokenLifetimeSeconds.
-- The upper bound is the server's MaxAccessTokenLifetimeSeconds, checked by the service (it is a setting, not schema);
-- the column only refuses what no setting allows.
ALTER TABLE applications
    ADD COLUMN access_token_lifetime_seconds integer
        CHECK (access_token_lifetime_seconds IS NULL OR access_token_lifetime_seconds BETWEEN 60 AND 86400);
