"""PostgreSQL only: the planner learns that a term's kind and key go together (``Bretagne`` is a
region), so it estimates a filter's rows rightly and picks index walks for sorted pages; and the
"recently active" order (``NULLS LAST``, which SQLite cannot index) gets its index."""

from django.db import migrations

FORWARD = [
    "CREATE STATISTICS IF NOT EXISTS dirterm_kind_ref_key (dependencies, mcv) "
    "ON kind, ref, key FROM directory_directoryterm",
    "ALTER TABLE directory_directoryterm ALTER COLUMN key SET STATISTICS 1000",
    "CREATE INDEX IF NOT EXISTS direntry_active_nulls_last ON directory_directoryentry "
    "(last_active_at DESC NULLS LAST, sort_name, user_id)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS direntry_active_nulls_last",
    "DROP STATISTICS IF EXISTS dirterm_kind_ref_key",
    "ALTER TABLE directory_directoryterm ALTER COLUMN key SET STATISTICS -1",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_term_listed_covering_index")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
