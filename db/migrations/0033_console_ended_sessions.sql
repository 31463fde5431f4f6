-- Console sessions ended by sign-out (TokenService/Console/EndedConsoleSessions.cs). The sealed Console cookie carries
-- a random session id; once that id is here, every instance refuses the cookie, also a copy taken before sign-out.
-- A row matters only until the cookie dies anyway: expires_at is its sign-in time plus Console:AbsoluteTimeoutSeconds,
-- and each sign-out deletes the rows past theirs.
CREATE TABLE console_ended_sessions (
    session_id uuid PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

CREATE INDEX console_ended_sessions_expires_at ON console_ended_sessions (expires_at);
