"""PostgreSQL only: trigram GIN indexes so ``LIKE '%fragment%'`` on the search texts uses an index.
SQLite has nothing to do (it scans the normalised text, which is fine at its scale)."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS direntry_search_members_trgm ON directory_directoryentry "
    "USING gin (search_members gin_trgm_ops) WHERE listed",
    "CREATE INDEX IF NOT EXISTS direntry_search_staff_trgm ON directory_directoryentry "
    "USING gin (search_staff gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS direntry_search_members_trgm",
    "DROP INDEX IF EXISTS direntry_search_staff_trgm",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
