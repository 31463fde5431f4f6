-- Access Policies (issue 15, Propel's model): a policy belongs to one Data Pool and names the columns it allows
-- (["*"] for all) and row rules [{column, operator, value}], where a value is a literal or a placeholder
-- ${{ name }} filled from the access token's policy_values. With access control on, an application queries the
-- pool only through the one policy assigned to it for that pool.
ALTER TABLE resource.data_pools ADD COLUMN access_control_enabled boolean NOT NULL DEFAULT false;

CREATE TABLE resource.access_policies (
    id           uuid PRIMARY KEY,
    unique_name  text NOT NULL UNIQUE,
    description  text NOT NULL DEFAULT '',
    -- Deleting a pool deletes its policies: a policy means nothing without its pool.
    data_pool_id uuid NOT NULL REFERENCES resource.data_pools (id) ON DELETE CASCADE,
    columns      text[] NOT NULL,
    rows         jsonb NOT NULL DEFAULT '[]',
    created_at   timestamptz NOT NULL DEFAULT now(),
    modified_at  timestamptz NOT NULL DEFAULT now(),
    -- The assignments' composite key: an assignment names the pool of its policy, so "one per pool" is a constraint.
    UNIQUE (id, data_pool_id)
);

-- Applications are the TokenService's (this schema never reads its tables): an assignment names the client_id
-- the token's client_id claim carries.
CREATE TABLE resource.access_policy_applications (
    access_policy_id uuid NOT NULL,
    data_pool_id     uuid NOT NULL,
    client_id        text NOT NULL,
    PRIMARY KEY (access_policy_id, client_id),
    -- At most one policy per application and pool.
    CONSTRAINT access_policy_applications_one_per_pool UNIQUE (data_pool_id, client_id),
    FOREIGN KEY (access_policy_id, data_pool_id) REFERENCES resource.access_policies (id, data_pool_id) ON DELETE CASCADE
);
