-- Issue 15 point 2: which Access Policy values an application may request with policy_values. A JSON object from
-- placeholder name to the allowed values (["*"]: any value); NULL: any name and value. The tenant stays in
-- allowed_tenants. The service validates the shape; the column only refuses what is not an object.
ALTER TABLE applications
    ADD COLUMN allowed_policy_values jsonb
        CHECK (allowed_policy_values IS NULL OR jsonb_typeof(allowed_policy_values) = 'object');
