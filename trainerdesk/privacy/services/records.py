"""The records of processing activities (Art. 30) as data: CSV and JSON exports."""

from __future__ import annotations

import csv
import io
import json

from trainerdesk.privacy.models import ProcessingActivity


def activities() -> list[dict[str, str]]:
    return list(ProcessingActivity.objects.values(*ProcessingActivity.FIELDS))


def activities_csv() -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ProcessingActivity.FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(activities())
    return out.getvalue()


def activities_json() -> str:
    return json.dumps(activities(), ensure_ascii=False, indent=1)
