-- Issue 17 point 4: the RFC 8707 resources (audiences) an application may request. NULL: every API of this server
-- that its scopes serve (as before); otherwise only these, checked at the token and authorization endpoints.
ALTER TABLE applications ADD COLUMN audiences text[] CHECK (audiences IS NULL OR cardinality(audiences) BETWEEN 1 AND 10);
