"""Every delivery and floor price names a catalogue product; the free text goes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0004_product_catalogue_data"),
    ]

    operations = [
        migrations.RemoveField(model_name="delivery", name="product_text"),
        migrations.RemoveField(model_name="floorprice", name="product_text"),
        migrations.AlterField(
            model_name="delivery",
            name="product",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="deliveries", to="ledger.product", verbose_name="product"),
        ),
        migrations.AlterField(
            model_name="floorprice",
            name="product",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="floor_prices", to="ledger.product", verbose_name="product"),
        ),
        migrations.AddConstraint(
            model_name="floorprice",
            constraint=models.UniqueConstraint(condition=models.Q(("plant__isnull", False)), fields=("product", "plant", "effective_from"), name="floor_price_plant_unique"),
        ),
        migrations.AddConstraint(
            model_name="floorprice",
            constraint=models.UniqueConstraint(condition=models.Q(("plant__isnull", True)), fields=("product", "effective_from"), name="floor_price_company_unique"),
        ),
    ]
