-- Data Sources, Data Pools and Metrics (the Propel model). A Data Pool exposes one table of its Data Source;
-- a Metric aggregates (COUNT, SUM, AVERAGE) one Data Pool, optionally over a measure column and with filters.
CREATE TABLE resource.data_sources (
    id          uuid PRIMARY KEY,
    unique_name text NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    type        text NOT NULL,
    status      text NOT NULL DEFAULT 'CONNECTED',
    -- The tables of schema "resource" this source exposes; a Data Pool may only be created over one of them.
    tables      text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE resource.data_pools (
    id               uuid PRIMARY KEY,
    unique_name      text NOT NULL UNIQUE,
    description      text NOT NULL DEFAULT '',
    data_source_id   uuid NOT NULL REFERENCES resource.data_sources (id),
    table_name       text NOT NULL,
    timestamp_column text NOT NULL,
    -- Required: without it a tenant-scoped token could not be limited to its own rows.
    tenant_column    text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- Identifiers are spliced into SQL (quoted); only plain lower_snake names are ever stored.
    CONSTRAINT data_pools_identifiers CHECK (
        table_name ~ '^[a-z_][a-z0-9_]{0,62}$' AND timestamp_column ~ '^[a-z_][a-z0-9_]{0,62}$'
        AND tenant_column ~ '^[a-z_][a-z0-9_]{0,62}$')
);

CREATE TABLE resource.metrics (
    id           uuid PRIMARY KEY,
    unique_name  text NOT NULL UNIQUE,
    description  text NOT NULL DEFAULT '',
    data_pool_id uuid NOT NULL REFERENCES resource.data_pools (id),
    type         text NOT NULL,
    measure      text,
    -- [{"column": "quantity", "operator": "GREATER_THAN", "value": "5"}]; values are bound as parameters.
    filters      jsonb NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT metrics_type CHECK (type IN ('COUNT', 'SUM', 'AVERAGE')),
    CONSTRAINT metrics_measure CHECK ((type = 'COUNT') = (measure IS NULL)),
    CONSTRAINT metrics_measure_identifier CHECK (measure IS NULL OR measure ~ '^[a-z_][a-z0-9_]{0,62}$')
);

CREATE INDEX metrics_data_pool ON resource.metrics (data_pool_id);
