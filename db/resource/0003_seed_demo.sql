-- A deterministic demo dataset: 100,000 orders across three tenants over 2024, and the catalog that exposes them.
-- Everything derives from the row number, so every database built from these files holds the same rows.
INSERT INTO resource.orders (id, "timestamp", tenant, product, quantity, price)
SELECT i,
       timestamptz '2024-01-01 00:00:00+00' + (i - 1) * interval '5 minutes' + ((i * 37) % 300) * interval '1 second',
       (ARRAY['acme', 'globex', 'initech'])[1 + i % 3],
       (ARRAY['widget', 'gadget', 'gizmo', 'doohickey', 'sprocket'])[1 + (i * 7) % 5],
       1 + (i * 13) % 10,
       round((1 + ((i * 7919) % 10000) / 100.0)::numeric, 2)
FROM generate_series(1, 100000) AS i;

INSERT INTO resource.data_sources (id, unique_name, description, type, tables)
VALUES ('00000000-0000-4000-8000-000000000001', 'demo_postgres', 'The demo orders, in the ResourceApi''s own schema',
        'POSTGRESQL', ARRAY['orders']);

INSERT INTO resource.data_pools (id, unique_name, description, data_source_id, table_name, timestamp_column, tenant_column)
VALUES ('00000000-0000-4000-8000-000000000101', 'orders', 'One row per order', '00000000-0000-4000-8000-000000000001',
        'orders', 'timestamp', 'tenant');

INSERT INTO resource.metrics (id, unique_name, description, data_pool_id, type, measure, filters)
VALUES ('00000000-0000-4000-8000-000000000201', 'order_count', 'Number of orders',
        '00000000-0000-4000-8000-000000000101', 'COUNT', NULL, '[]'),
       ('00000000-0000-4000-8000-000000000202', 'revenue', 'Sum of order prices',
        '00000000-0000-4000-8000-000000000101', 'SUM', 'price', '[]'),
       ('00000000-0000-4000-8000-000000000203', 'average_quantity', 'Average items per order',
        '00000000-0000-4000-8000-000000000101', 'AVERAGE', 'quantity', '[]'),
       ('00000000-0000-4000-8000-000000000204', 'large_orders', 'Orders of 8 items or more',
        '00000000-0000-4000-8000-000000000101', 'COUNT', NULL,
        '[{"column": "quantity", "operator": "GREATER_THAN_OR_EQUAL_TO", "value": "8"}]');

ANALYZE resource.orders;
