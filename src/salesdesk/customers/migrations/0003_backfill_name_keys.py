"""Fill the duplicate-check keys of existing customers, and recompute their search keys
with the fuller traditional → simplified fold (lib/names.py)."""

from django.db import migrations

BATCH = 2000


def backfill(apps, schema_editor):
    from salesdesk.lib import names

    Customer = apps.get_model("customers", "Customer")
    batch = []
    for customer in Customer.objects.only("pk", "name").order_by("pk").iterator(chunk_size=BATCH):
        customer.name_key = names.name_key(customer.name)
        customer.name_head = names.name_head(customer.name)
        customer.search_key = names.search_key(customer.name)
        batch.append(customer)
        if len(batch) >= BATCH:
            Customer.objects.bulk_update(batch, ["name_key", "name_head", "search_key"])
            batch = []
    if batch:
        Customer.objects.bulk_update(batch, ["name_key", "name_head", "search_key"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_claims")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
