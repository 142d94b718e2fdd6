"""Retention: the rules (per country, else the default), the report of what is due, and
the daily run that anonymises it (`trainerdesk privacy_retention`, dry run unless
`--apply`; the worker task `apply_retention_task`).

Who is due is each app's answer (`retention_due`); a person with open obligations (an
application still running, a placement in its guarantee) is held, not erased. The
talent-pool rule never exceeds two years whatever a row says."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db import transaction

from trainerdesk.lib import audit
from trainerdesk.lib.errors import InvalidInput
from trainerdesk.privacy import registry
from trainerdesk.privacy.models import RetentionRule
from trainerdesk.privacy.services.erasure import SubjectNotFound, erase_subject

TALENT_POOL_MAX_DAYS = 730
RECONSENT_WINDOW_DAYS = 30
DEFAULT_DAYS = {"rejected_candidate": 183, "talent_pool": 730, "financial": 2557}


def days_for_rules() -> Callable[[str, str], int]:
    """days_for(category, country): the country's rule, else the default one."""
    rules = {(r.country, r.category): r.days for r in RetentionRule.objects.all()}

    def days_for(category: str, country: str) -> int:
        days = rules.get((country or "", category), rules.get(("", category)))
        if days is None:
            days = DEFAULT_DAYS[category]
        if category == RetentionRule.Category.TALENT_POOL:
            days = min(days, TALENT_POOL_MAX_DAYS)
        return days

    return days_for


def set_rule(*, country: str, category: str, days: int, basis: str = "", by: Any) -> RetentionRule:
    errors = []
    country = (country or "").strip().upper()
    if country and (len(country) != 2 or not country.isalpha()):
        errors.append("country: an ISO 3166 alpha-2 code, or empty for the default")
    if category not in RetentionRule.Category.values:
        errors.append(f"category: one of {', '.join(RetentionRule.Category.values)}")
    if days < 1:
        errors.append("days: a whole number of days, at least 1")
    elif category == RetentionRule.Category.TALENT_POOL and days > TALENT_POOL_MAX_DAYS:
        errors.append(f"days: the talent pool keeps profiles {TALENT_POOL_MAX_DAYS} days at most")
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        rule, created = RetentionRule.objects.select_for_update().get_or_create(
            country=country, category=category, defaults={"days": days, "basis": basis}
        )
        before = None if created else audit.snapshot(rule, ["days", "basis"])
        rule.days, rule.basis = days, basis
        rule.save()
        audit.record(
            action="privacy.retention.rule",
            obj=rule,
            changes=audit.changed_fields(before, rule, ["days", "basis"]),
            by=by,
        )
    return rule


def retention_report(*, today: datetime.date) -> dict[str, Any]:
    """{"due": [...], "held": [...], "reconsent": [...]} as plain dicts (the dry run)."""
    days_for = days_for_rules()
    due, held = [], []
    for handler in registry.handlers():
        for item in handler.retention_due(days_for, today):
            open_ = registry.obligations(registry.identify(item.subject))
            if open_:
                held.append((item, open_))
            else:
                due.append(item)
    reconsent = [
        item
        for handler in registry.handlers()
        for item in handler.reconsent_due(days_for, today, RECONSENT_WINDOW_DAYS)
    ]
    return {
        "today": today,
        "due": due,
        "held": held,
        "reconsent": reconsent,
    }


def run_retention(
    *, today: datetime.date, dry_run: bool, by: Any = None, system: str | None = None
) -> dict[str, Any]:
    """Anonymise everyone due (each person in their own transaction, so one failure does
    not keep the others), or with `dry_run` report only and write nothing."""
    report = retention_report(today=today)
    erased: list[dict[str, Any]] = []
    for item in report["due"]:
        try:
            result = erase_subject(subject=item.subject, dry_run=dry_run, by=by, system=system)
        except SubjectNotFound:
            continue
        erased.append({**item.as_dict(), "counts": result["counts"]})
    summary = {
        "today": today.isoformat(),
        "dry_run": dry_run,
        "erased": erased,
        "held": [
            {**d.as_dict(), "obligations": [o.as_dict() for o in o_]} for d, o_ in report["held"]
        ],
        "reconsent": [d.as_dict() for d in report["reconsent"]],
    }
    if not dry_run:
        with transaction.atomic():
            audit.record(
                action="privacy.retention.run",
                object_type="privacy.retention",
                object_id=today.isoformat(),
                changes={
                    "erased": len(erased),
                    "held": len(report["held"]),
                    "reconsent": len(report["reconsent"]),
                },
                by=by,
                system=system,
            )
    return summary
