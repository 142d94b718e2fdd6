from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workbench", "0012_concurrency_queue_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="item",
            index=models.Index(fields=["project", "id"], name="item_keyset"),
        ),
    ]
