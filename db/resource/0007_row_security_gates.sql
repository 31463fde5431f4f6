-- Issue 15 point 7 (cost), after 0006: each policy's conditions on the session (which pool, which policy, which
-- application, whether a tenant is set) were separate InitPlans, but their comparisons with constants still ran per
-- row, for every row the query kept: four text comparisons (two of them 36-character ids) per row behind Access
-- Control, one behind an open pool, so the same rows cost 0.82-0.94x. Each gate is now one boolean InitPlan, computed
-- once per query; per row only a boolean parameter is read, and the row rules compare columns. A placeholder's value
-- is cast to the column's type inside its InitPlan too (0006 cast it per row). Same rules, same rows; the policies of
-- every data table are rebuilt.

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

SELECT resource.sync_row_security(t.table_name) FROM (SELECT DISTINCT table_name FROM resource.data_pools) AS t;
