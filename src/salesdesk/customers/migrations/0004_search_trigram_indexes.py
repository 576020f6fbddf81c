"""Trigram indexes for the customer search, on PostgreSQL only.

The search matches `LIKE '%text%'` on the folded name (search_key), the code and the
credit code. A B-tree cannot serve a pattern with a leading wildcard; pg_trgm's GIN index
can. SQLite has no such index type and scans, which is fast enough at its scale.
"""

from django.db import migrations

COLUMNS = ("search_key", "code", "credit_code")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS customer_{column}_trgm "
            f"ON customers_customer USING gin ({column} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS customer_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_backfill_name_keys")]

    operations = [migrations.RunPython(create, drop)]
