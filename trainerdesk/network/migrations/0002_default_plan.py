from django.db import migrations


def add_plan(apps, schema_editor):
    # The network's one published plan: EUR 177 a year, 50 % commission, 30 days' grace.
    apps.get_model("network", "MembershipPlan").objects.get_or_create(
        code="standard",
        defaults={
            "name": "Network membership",
            "price_cents": 17700,
            "currency": "EUR",
            "period_months": 12,
            "grace_days": 30,
            "commission_basis_points": 5000,
            "is_default": True,
        },
    )


def drop_plan(apps, schema_editor):
    apps.get_model("network", "MembershipPlan").objects.filter(code="standard").delete()


class Migration(migrations.Migration):
    dependencies = [("network", "0001_initial")]
    operations = [migrations.RunPython(add_plan, drop_plan)]
