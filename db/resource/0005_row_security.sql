-- Defence in depth (issue 15 point 4): PostgreSQL enforces the same rows as the generated SQL. The ResourceApi runs
-- every data query in a transaction that does SET LOCAL ROLE resource_reader (no BYPASSRLS, not a superuser, not the
-- tables' owner) and sets resource.data_pool, resource.access_policy, resource.client_id, resource.tenant and
-- resource.policy_values (JSON) with set_config(..., true). The row-level security policies below read those
-- settings; resource.sync_row_security(table) regenerates them from the catalog whenever a pool, a policy or an
-- assignment changes, in the same transaction as the change. Without the settings no policy matches: no rows.

-- Roles are cluster-wide and test databases are copies of one template: create it once, tolerate a concurrent creator.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'resource_reader') THEN
        CREATE ROLE resource_reader NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT NOCREATEDB NOCREATEROLE;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

GRANT USAGE ON SCHEMA resource TO resource_reader;

-- The migrating login (the ResourceApi's, or its owner) must be able to SET ROLE resource_reader; a superuser can anyway.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT resource_reader TO %I', current_user);
    END IF;
END
$$;

-- Rebuilds the catalog_* policies of one data table from the catalog. Identifiers with %I, values with %L: every
-- quote is PostgreSQL's own. A placeholder becomes a lookup in resource.policy_values (an InitPlan, read once per
-- query); a name without a value is NULL, and a comparison with NULL matches no row.
CREATE FUNCTION resource.sync_row_security(p_table text) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    existing record;
    pool record;
    policy record;
    rule jsonb;
    clauses text[];
    tenant_clause text;
    op text;
    column_type text;
    placeholder text;
    operand text;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('resource.sync_row_security:' || p_table));
    EXECUTE format('GRANT SELECT ON resource.%I TO resource_reader', p_table);
    EXECUTE format('ALTER TABLE resource.%I ENABLE ROW LEVEL SECURITY', p_table);
    FOR existing IN SELECT policyname FROM pg_policies
                    WHERE schemaname = 'resource' AND tablename = p_table AND policyname LIKE 'catalog\_%' LOOP
        EXECUTE format('DROP POLICY %I ON resource.%I', existing.policyname, p_table);
    END LOOP;

    FOR pool IN SELECT * FROM resource.data_pools WHERE table_name = p_table LOOP
        tenant_clause := format('(coalesce(current_setting(''resource.tenant'', true), '''') = '''' '
                                'OR %I = current_setting(''resource.tenant'', true))', pool.tenant_column);
        IF NOT pool.access_control_enabled THEN
            EXECUTE format('CREATE POLICY %I ON resource.%I AS PERMISSIVE FOR SELECT TO resource_reader USING ('
                           'current_setting(''resource.data_pool'', true) = %L '
                           'AND coalesce(current_setting(''resource.access_policy'', true), '''') = '''' AND %s)',
                           'catalog_pool_' || pool.id, p_table, pool.id::text, tenant_clause);
            CONTINUE;
        END IF;

        FOR policy IN SELECT * FROM resource.access_policies WHERE data_pool_id = pool.id LOOP
            clauses := ARRAY[
                format('current_setting(''resource.data_pool'', true) = %L', pool.id::text),
                format('current_setting(''resource.access_policy'', true) = %L', policy.id::text),
                format('current_setting(''resource.client_id'', true) = ANY (%L::text[])',
                       ARRAY(SELECT client_id FROM resource.access_policy_applications
                             WHERE access_policy_id = policy.id ORDER BY client_id)),
                tenant_clause];
            FOR rule IN SELECT value FROM jsonb_array_elements(policy.rows) LOOP
                op := CASE rule ->> 'operator'
                    WHEN 'EQUALS' THEN '=' WHEN 'NOT_EQUALS' THEN '<>'
                    WHEN 'GREATER_THAN' THEN '>' WHEN 'GREATER_THAN_OR_EQUAL_TO' THEN '>='
                    WHEN 'LESS_THAN' THEN '<' WHEN 'LESS_THAN_OR_EQUAL_TO' THEN '<=' END;
                SELECT format_type(a.atttypid, NULL) INTO column_type FROM pg_attribute a
                WHERE a.attrelid = format('resource.%I', p_table)::regclass AND a.attname = rule ->> 'column'
                  AND a.attnum > 0 AND NOT a.attisdropped;
                IF op IS NULL OR column_type IS NULL THEN
                    RAISE EXCEPTION 'access policy % has an invalid row rule %', policy.unique_name, rule;
                END IF;
                placeholder := substring(rule ->> 'value' FROM '^\$\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]{0,63})[ \t]*\}\}$');
                operand := CASE WHEN placeholder IS NULL THEN format('CAST(%L AS %s)', rule ->> 'value', column_type)
                    ELSE format('CAST((SELECT nullif(current_setting(''resource.policy_values'', true), '''')::jsonb ->> %L) AS %s)',
                                placeholder, column_type) END;
                clauses := clauses || format('%I %s %s', rule ->> 'column', op, operand);
            END LOOP;
            EXECUTE format('CREATE POLICY %I ON resource.%I AS PERMISSIVE FOR SELECT TO resource_reader USING (%s)',
                           'catalog_policy_' || policy.id, p_table, array_to_string(clauses, ' AND '));
        END LOOP;
    END LOOP;
END
$fn$;

SELECT resource.sync_row_security(t.table_name) FROM (SELECT DISTINCT table_name FROM resource.data_pools) AS t;
