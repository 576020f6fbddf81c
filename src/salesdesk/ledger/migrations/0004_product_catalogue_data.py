"""Fills the catalogue from the free-text products; see 0003."""


import unicodedata
from collections import Counter, defaultdict

from django.db import migrations, models


def _fold(name):
    # lib.names.product_key at the time of this migration, kept here so it never changes.
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def catalogue_from_texts(apps, schema_editor):
    Product = apps.get_model("ledger", "Product")
    Delivery = apps.get_model("ledger", "Delivery")
    FloorPrice = apps.get_model("ledger", "FloorPrice")
    names = defaultdict(Counter)  # folded name -> {text as written: uses}
    units = defaultdict(Counter)  # folded name -> {unit: deliveries}
    for text, unit, count in (
        Delivery.objects.values_list("product_text", "unit")
        .annotate(count=models.Count("id"))
        .order_by()
    ):
        names[_fold(text)][text] += count
        units[_fold(text)][unit] += count
    for text in FloorPrice.objects.values_list("product_text", flat=True):
        names[_fold(text)][text] += 1
    products = {}
    for number, key in enumerate(sorted(names), start=1):
        # The spelling used most often names the product; ties go to the first in order.
        name = sorted(names[key].items(), key=lambda item: (-item[1], item[0]))[0][0]
        unit = units[key].most_common(1)[0][0] if units[key] else "m3"
        products[key] = Product.objects.create(
            code=f"P{number:04d}", name=name, name_key=key, unit=unit
        )
    for key, product in products.items():
        Delivery.objects.filter(product_text__in=list(names[key])).update(product=product)
    kept = {}
    for row in FloorPrice.objects.order_by("-price", "id"):
        slot = (_fold(row.product_text), row.plant_id, row.effective_from)
        if slot in kept:
            row.delete()
            continue
        kept[slot] = row
        row.product = products[slot[0]]
        row.save(update_fields=["product"])


def texts_from_catalogue(apps, schema_editor):
    Delivery = apps.get_model("ledger", "Delivery")
    FloorPrice = apps.get_model("ledger", "FloorPrice")
    for model in (Delivery, FloorPrice):
        for row in model.objects.select_related("product"):
            row.product_text = row.product.name
            row.save(update_fields=["product_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0003_product_catalogue"),
    ]

    operations = [
        migrations.RunPython(catalogue_from_texts, texts_from_catalogue),
    ]
