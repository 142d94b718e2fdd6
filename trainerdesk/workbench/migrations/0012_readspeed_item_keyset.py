from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workbench", "0011_settings_move_quality_fields"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="item",
            index=models.Index(fields=["project", "id"], name="item_keyset"),
        ),
    ]
