-- The ResourceApi's own schema. It never reads the TokenService's tables, and the TokenService never reads these.
CREATE SCHEMA resource;

-- The demo fact table behind the "orders" Data Pool. Every row belongs to exactly one tenant: tenant policies
-- filter on this column in SQL.
CREATE TABLE resource.orders (
    id          bigint PRIMARY KEY,
    "timestamp" timestamptz NOT NULL,
    tenant      text NOT NULL,
    product     text NOT NULL,
    quantity    integer NOT NULL,
    price       numeric(10, 2) NOT NULL
);

-- Tenant first: almost every query of a tenant-scoped token is "this tenant, this time range".
CREATE INDEX orders_tenant_timestamp ON resource.orders (tenant, "timestamp");
CREATE INDEX orders_timestamp ON resource.orders ("timestamp");
