-- ASP.NET Core Data Protection key ring (antiforgery tokens, login session cookies), shared by every instance
-- so a cookie issued by one is read by another. Each key's XML is sealed under the KEY_ENCRYPTION_KEY.
CREATE TABLE data_protection_keys (
    id            bigserial PRIMARY KEY,
    friendly_name text NOT NULL,
    xml           text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
