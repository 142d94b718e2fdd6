"""Version 1 of the fair-play policy: at most 5 pending submissions per member and
opening; ownership of a candidate at a client for 365 days."""

from django.db import migrations


def create_version_1(apps, schema_editor):
    FairPlayPolicy = apps.get_model("placements", "FairPlayPolicy")
    FairPlayPolicy.objects.get_or_create(
        version=1, defaults={"pending_cap_per_member_per_opening": 5, "ownership_days": 365}
    )


def drop_version_1(apps, schema_editor):
    apps.get_model("placements", "FairPlayPolicy").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("placements", "0001_initial")]

    operations = [migrations.RunPython(create_version_1, drop_version_1)]
