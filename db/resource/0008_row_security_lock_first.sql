-- A policy change could deadlock with autovacuum (a fresh-clone CI run of PgBouncerTests answered
-- assignDataPoolAccessPolicy with 503 TEMPORARILY_UNAVAILABLE; the server log said "deadlock detected ... autovacuum:
-- VACUUM ANALYZE resource.orders"). sync_row_security's GRANT updates the table's pg_class row without locking the table;
-- its ALTER TABLE then waits for the AccessExclusiveLock behind an (auto)vacuum or ANALYZE that holds
-- ShareUpdateExclusiveLock, and that ANALYZE, writing its statistics to the same pg_class row, waits for this transaction
-- (recent PostgreSQL minor releases, 15.18 here, make such an in-place update wait for a concurrent updater).
-- Taking the AccessExclusiveLock first changes nothing until the table is ours: a manual ANALYZE finishes first, and an
-- autovacuum in the way is cancelled by PostgreSQL after deadlock_timeout. Same rules, same policies: nothing is rebuilt.

CREATE OR REPLACE FUNCTION resource.sync_row_security(p_table text) RETURNS void LANGUAGE plpgsql AS $fn$
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
    -- The table's strongest lock before anything changes its pg_class row (GRANT does, without locking the table):
    -- see the header.
    EXECUTE format('LOCK TABLE resource.%I IN ACCESS EXCLUSIVE MODE', p_table);
    EXECUTE format('GRANT SELECT ON resource.%I TO resource_reader', p_table);
    EXECUTE format('ALTER TABLE resource.%I ENABLE ROW LEVEL SECURITY', p_table);
    FOR existing IN SELECT policyname FROM pg_policies
                    WHERE schemaname = 'resource' AND tablename = p_table AND policyname LIKE 'catalog\_%' LOOP
        EXECUTE format('DROP POLICY %I ON resource.%I', existing.policyname, p_table);
    END LOOP;

    FOR pool IN SELECT * FROM resource.data_pools WHERE table_name = p_table LOOP
        tenant_clause := format('((SELECT coalesce(current_setting(''resource.tenant'', true), '''') = '''') '
                                'OR %I = (SELECT current_setting(''resource.tenant'', true)))', pool.tenant_column);
        IF NOT pool.access_control_enabled THEN
            EXECUTE format('CREATE POLICY %I ON resource.%I AS PERMISSIVE FOR SELECT TO resource_reader USING ('
                           '(SELECT current_setting(''resource.data_pool'', true) = %L '
                           'AND coalesce(current_setting(''resource.access_policy'', true), '''') = '''') AND %s)',
                           'catalog_pool_' || pool.id, p_table, pool.id::text, tenant_clause);
            CONTINUE;
        END IF;

        FOR policy IN SELECT * FROM resource.access_policies WHERE data_pool_id = pool.id LOOP
            clauses := ARRAY[
                format('(SELECT current_setting(''resource.data_pool'', true) = %L '
                       'AND current_setting(''resource.access_policy'', true) = %L '
                       'AND current_setting(''resource.client_id'', true) = ANY (%L::text[]))',
                       pool.id::text, policy.id::text,
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
                    ELSE format('(SELECT CAST(nullif(current_setting(''resource.policy_values'', true), '''')::jsonb ->> %L AS %s))',
                                placeholder, column_type) END;
                clauses := clauses || format('%I %s %s', rule ->> 'column', op, operand);
            END LOOP;
            EXECUTE format('CREATE POLICY %I ON resource.%I AS PERMISSIVE FOR SELECT TO resource_reader USING (%s)',
                           'catalog_policy_' || policy.id, p_table, array_to_string(clauses, ' AND '));
        END LOOP;
    END LOOP;
END
$fn$;
