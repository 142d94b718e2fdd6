"""The first published version of each contract template: the member agreement (the 50 %
commission and the membership fee come from the default plan's placeholders, so they read
€177.00 per year and 50%), the client framework agreement and the per-role terms (fee and
guarantee from the role). Governing law Austria, courts of Vienna, in every text.

The texts are written out here, not read from files, so this migration means the same
thing forever; a change is a new version published by staff (contracts/services.py).
`add_templates` is idempotent: the test suite re-runs it after a flush (conftest.py)."""

import re

from django.db import migrations

PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_.]*)\s*\}\}")

TEMPLATES = {
    "member_agreement": (
        "Member agreement",
        """\
# Member agreement

Between **{{ platform.name }}** ("the platform", "we") and **{{ member.display_name }}** ("you", the member), country {{ member.country }}. Dated {{ contract.date }}.

## 1. What this agreement is

You join the platform's network as an independent recruiter. You are not our employee and you work on your own account. You find candidates for our clients' roles and submit them through the app.

## 2. Membership fee

Membership costs **{{ plan.price }} per {{ plan.period }}**, invoiced by us. You can submit candidates only while your membership is paid. If a renewal is not paid by its date, you have a grace period of {{ plan.grace_days }} days, in which you cannot submit; after it the membership expires.

## 3. Your commission

We bill the client for each placement. You receive **{{ plan.commission }} of the placement fee** for every candidate you placed. Your commission becomes payable once the client has paid us and the role's guarantee period has passed. If a placement ends within its guarantee period, no commission is due for it; commission already paid for it is set off against your next payouts.

## 4. How you work

- Submit a candidate only with their consent for that client, recorded in the app.
- Keep what you learn about candidates and clients confidential, and use it only for placements through the platform.
- Follow the fair-play rules shown in the app.

## 5. Ending the agreement

Either of us may end this agreement with 30 days' notice by e-mail. We may end it at once if you seriously breach it. Commission earned before the end is still paid as in section 3.

## 6. Law and courts

This agreement is governed by the law of Austria. The courts of Vienna have jurisdiction. Where mandatory law gives you the right to go to another court, that right is not affected.
""",
    ),
    "client_framework": (
        "Client framework agreement",
        """\
# Client framework agreement

Between **{{ platform.name }}** ("the platform", "we") and **{{ client.legal_name }}**, {{ client.address }}, VAT id {{ client.vat_id }} ("you", the client). Dated {{ contract.date }}.

## 1. What this agreement covers

We find candidates for the roles you post with us. Each role has its own terms (its fee and guarantee period), agreed when the role is set up. This agreement applies to all of them.

## 2. Fees and payment

A fee is due only when you hire a candidate we introduced to you. The fee is the one in the role's terms. We invoice it when the candidate starts; payment is due within 14 days of the invoice. Fees are net of VAT; VAT is charged where the law requires it.

## 3. Guarantee

If a placed candidate leaves, or you let them go, within the role's guarantee period, tell us within 7 days and we credit the fee for that placement in full.

## 4. Direct hiring

If you hire a candidate we introduced within 12 months of the introduction without telling us, the fee in the role's terms is due as if we had placed them.

## 5. Candidates' data

You receive a candidate's data only with their consent, and only to decide whether to hire them. Do not pass it on, and delete it when you no longer need it for that.

## 6. Ending the agreement

Either of us may end this agreement with 30 days' notice by e-mail. Placements made before the end keep their terms.

## 7. Law and courts

This agreement is governed by the law of Austria. The courts of Vienna have jurisdiction.
""",
    ),
    "role_terms": (
        "Role terms",
        """\
# Role terms: {{ opening.title }}

These terms apply to the role "{{ opening.title }}" that **{{ client.legal_name }}** ("you") posted with **{{ platform.name }}** ("we"), under the client framework agreement between us. Dated {{ contract.date }}.

- **Engagement:** {{ opening.contract_type }}, {{ opening.positions }} position(s).
- **Placement fee:** {{ opening.fee }}, for each candidate you hire for this role, in {{ opening.fee_currency }}, net of VAT.
- **When it is invoiced:** when the candidate starts; payment is due within 14 days of the invoice.
- **Guarantee period:** {{ opening.guarantee_days }} days from the candidate's start. If the placement ends within it, we credit the fee for that placement in full.

Where these terms and the framework agreement differ, these terms apply to this role. They are governed by the law of Austria; the courts of Vienna have jurisdiction.
""",
    ),
}


def add_templates(apps, schema_editor):
    ContractTemplate = apps.get_model("contracts", "ContractTemplate")
    TemplateVersion = apps.get_model("contracts", "TemplateVersion")
    for kind, (title, body) in TEMPLATES.items():
        template, _ = ContractTemplate.objects.get_or_create(kind=kind, defaults={"title": title})
        if not TemplateVersion.objects.filter(template=template).exists():
            names = list(dict.fromkeys(PLACEHOLDER.findall(body)))
            TemplateVersion.objects.create(
                template=template, number=1, body=body, placeholders=names
            )


def remove_templates(apps, schema_editor):
    ContractTemplate = apps.get_model("contracts", "ContractTemplate")
    TemplateVersion = apps.get_model("contracts", "TemplateVersion")
    TemplateVersion.objects.filter(template__kind__in=TEMPLATES, number=1).delete()
    ContractTemplate.objects.filter(kind__in=TEMPLATES, versions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_initial")]

    operations = [migrations.RunPython(add_templates, remove_templates)]
