"""Products become a catalogue (DOMAIN §5). Every distinct product text of the deliveries
and floor prices, folded for width, case and spaces, becomes one catalogue product; each
delivery and floor price then names it. No delivery is lost. Floor prices that fold to the
same product, plant and date keep the highest price (the stricter floor); each was
audited when set."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_expensereversal"),
    ]

    operations = [
        migrations.CreateModel(
            name="Product",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                ("code", models.CharField(max_length=30, unique=True, verbose_name="code")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                ("name_key", models.CharField(editable=False, max_length=100, unique=True, verbose_name="folded name")),
                ("unit", models.CharField(default="m3", max_length=20, verbose_name="unit")),
                ("grade", models.CharField(blank=True, max_length=20, verbose_name="grade")),
            ],
            options={
                "verbose_name": "product",
                "verbose_name_plural": "products",
                "ordering": ["code"],
            },
        ),
        migrations.RemoveConstraint(model_name="floorprice", name="floor_price_plant_unique"),
        migrations.RemoveConstraint(model_name="floorprice", name="floor_price_company_unique"),
        migrations.RenameField(model_name="delivery", old_name="product", new_name="product_text"),
        migrations.RenameField(model_name="floorprice", old_name="product", new_name="product_text"),
        migrations.AddField(
            model_name="delivery",
            name="product",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="deliveries", to="ledger.product", verbose_name="product"),
        ),
        migrations.AddField(
            model_name="floorprice",
            name="product",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="floor_prices", to="ledger.product", verbose_name="product"),
        ),
    ]
