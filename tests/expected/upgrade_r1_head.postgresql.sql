-- Running upgrade r1 -> r2

BEGIN;

CREATE TABLE t2 (id INTEGER);

UPDATE alembic_version SET version_num='r2' WHERE alembic_version.version_num = 'r1';

COMMIT;

-- Running upgrade r2 -> r3

BEGIN;

CREATE TABLE t3 (id INTEGER);

UPDATE alembic_version SET version_num='r3' WHERE alembic_version.version_num = 'r2';

COMMIT;

