-- Roles and tenant memberships of signed-in users. Both are sets: a row is a grant, deleting it takes it away.
-- Roles entitle a user to privileged scopes (admin, application:admin) and to the Console (console-admin,
-- console-viewer); tenant memberships say which tenant a user's tokens may carry (the application's allowed
-- tenants narrow them further). A user's deletion removes both.
CREATE TABLE user_roles (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, role),
    CONSTRAINT user_roles_role_format CHECK (role ~ '^[a-z][a-z0-9:_-]{0,63}$')
);

CREATE TABLE user_tenants (
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant    text NOT NULL,
    added_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, tenant),
    CONSTRAINT user_tenants_tenant_not_blank CHECK (length(btrim(tenant)) > 0 AND length(tenant) <= 128)
);
