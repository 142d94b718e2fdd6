"""The default retention rules and the records of processing activities (Art. 30)."""

from django.db import migrations

RULES = [
    # (country, category, days, basis)
    (
        "",
        "rejected_candidate",
        183,
        "Six months after the last activity: time to answer claims about the selection "
        "(Austrian Equal Treatment Act, § 15 GlBG: six months).",
    ),
    (
        "",
        "talent_pool",
        730,
        "Up to two years with the candidate's talent-pool consent (Art. 6(1)(a)); asked "
        "again before it ends.",
    ),
    (
        "",
        "financial",
        2557,
        "Seven years from the end of the year (Austrian BAO § 132): invoices, fees, "
        "commissions, payouts.",
    ),
]

ACTIVITIES = [
    {
        "key": "talent-pool",
        "name": "Candidate talent pool and matching",
        "purpose": "Keep candidates' profiles so members can match them to clients' roles.",
        "legal_basis": "Consent (Art. 6(1)(a)); steps before a contract (Art. 6(1)(b))",
        "data_subjects": "Candidates",
        "data_categories": "Name, e-mail, phone, profile URL, country and location, languages, "
        "skills, availability, rate, assessment results",
        "recipients": "The members who represent the candidate; platform staff",
        "retention": "Two years with talent-pool consent, re-consent asked before; six months "
        "after the last activity without it",
        "safeguards": "Access limited to representing members (404 for others); audit log; "
        "erasure through the privacy registry",
    },
    {
        "key": "submissions",
        "name": "Submitting candidates to clients",
        "purpose": "Put a candidate forward for a client's role, run interviews and offers.",
        "legal_basis": "Consent per client (Art. 6(1)(a)), recorded before each submission",
        "data_subjects": "Candidates; client contacts",
        "data_categories": "Profile as above, interview notes and feedback, offers",
        "recipients": "The named client; the submitting member; platform staff",
        "retention": "Six months after the application closed; placements as financial records",
        "safeguards": "No submission without a live consent for that client; audit log",
    },
    {
        "key": "assessments",
        "name": "Skill assessments and career self-assessment",
        "purpose": "Measure annotation skill (gold items) and give visitors a career estimate.",
        "legal_basis": "Consent (Art. 6(1)(a)); legitimate interest in vetting quality (Art. 6(1)(f))",
        "data_subjects": "Candidates; visitors of the public self-assessment",
        "data_categories": "Answers, scores, accuracy with its interval, lead time "
        "(self-assessment: answers only, no name or e-mail)",
        "recipients": "Platform staff; members matching the candidate",
        "retention": "Evidence valid for a year; deleted on erasure",
        "safeguards": "Self-assessment kept only with consent, reached by an unguessable token",
    },
    {
        "key": "membership",
        "name": "Network membership",
        "purpose": "Admit, bill and pay recruiters who are members of the network.",
        "legal_basis": "Contract (Art. 6(1)(b)); legal obligation for accounting (Art. 6(1)(c))",
        "data_subjects": "Members",
        "data_categories": "Name, country, VAT status and id, bio, application answers, "
        "bank details for payouts",
        "recipients": "Platform staff; the platform's bank (payouts); tax authority on request",
        "retention": "For the membership; financial records seven years (BAO § 132)",
        "safeguards": "Members see only their own money; audit log",
    },
    {
        "key": "billing",
        "name": "Invoicing clients and accounting",
        "purpose": "Invoice placement fees and memberships, keep the ledger, pay commissions.",
        "legal_basis": "Legal obligation (Art. 6(1)(c): BAO, UStG); contract (Art. 6(1)(b))",
        "data_subjects": "Client contacts; members",
        "data_categories": "Names, addresses, VAT ids, amounts, bank details",
        "recipients": "Clients (their invoices); the bank; tax authority on request",
        "retention": "Seven years from the end of the year (BAO § 132)",
        "safeguards": "Immutable issued invoices; double-entry ledger; audit log",
    },
    {
        "key": "accounts-security",
        "name": "Accounts, sign-in and the audit log",
        "purpose": "Let people sign in, secure the service and keep who-did-what.",
        "legal_basis": "Contract (Art. 6(1)(b)); legitimate interest in security (Art. 6(1)(f))",
        "data_subjects": "All users",
        "data_categories": "Username, e-mail, name, sign-in IP addresses, actions taken",
        "recipients": "Platform staff; organization owners (their organization's log)",
        "retention": "For the account; audit events pseudonymised on erasure",
        "safeguards": "Hash-chained append-only log; personal data by reference only",
    },
]


def seed(apps, schema_editor):
    RetentionRule = apps.get_model("privacy", "RetentionRule")
    ProcessingActivity = apps.get_model("privacy", "ProcessingActivity")
    for country, category, days, basis in RULES:
        RetentionRule.objects.get_or_create(
            country=country, category=category, defaults={"days": days, "basis": basis}
        )
    for order, activity in enumerate(ACTIVITIES):
        ProcessingActivity.objects.get_or_create(
            key=activity["key"], defaults={**activity, "order": order}
        )


def unseed(apps, schema_editor):
    apps.get_model("privacy", "RetentionRule").objects.filter(
        country="", category__in=[r[1] for r in RULES]
    ).delete()
    apps.get_model("privacy", "ProcessingActivity").objects.filter(
        key__in=[a["key"] for a in ACTIVITIES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
