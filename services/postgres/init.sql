-- Databases of the platform, created once. Idempotent (\gexec runs only the rows
-- returned), so native mode runs it on every start and docker runs it on first boot.
SELECT 'CREATE DATABASE airflow' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'airflow')\gexec
SELECT 'CREATE DATABASE superset' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'superset')\gexec
SELECT 'CREATE DATABASE iceberg' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'iceberg')\gexec
