"""Quality's section of the project settings, registered with the workbench in apps.py
(`workbench/extensions.SettingsSection`): the form on the settings page and the fields of
`GET`/`PATCH /api/v1/projects/<id>`, both backed by `QualitySettings`."""

from __future__ import annotations

from typing import Literal

from trainerdesk.quality.forms import QualitySettingsForm
from trainerdesk.quality.services.settings import (
    FIELDS,
    MAX_GOLD_MIN_ITEMS,
    settings_for,
    update_quality_settings,
)
from trainerdesk.workbench.extensions import SettingsSection

FinalLabelRuleName = Literal["reviewer", "majority", "dawid_skene"]


def read(*, project) -> dict:
    settings = settings_for(project)
    return {key: getattr(settings, key) for key in FIELDS}


def describe(*, project) -> dict[str, str]:
    return {"final_label_rule": settings_for(project).get_final_label_rule_display()}


SECTION = SettingsSection(
    app="quality",
    title="Review and gold (quality)",
    form=QualitySettingsForm,
    api_fields={
        "final_label_rule": (
            FinalLabelRuleName,
            {
                "description": "How the export picks each item's final answer: reviewer (a "
                "reviewer's fix, else the majority of accepted answers, else the "
                "majority), majority, or dawid_skene (votes weighted by each annotator's "
                "estimated accuracy)."
            },
        ),
        "gold_threshold": (
            float,
            {"ge": 0, "le": 1, "description": "Gold pass: Wilson lower bound >= this."},
        ),
        "gold_min_items": (
            int,
            {"ge": 1, "le": MAX_GOLD_MIN_ITEMS, "description": "Gold items needed for pass/fail."},
        ),
    },
    read=read,
    update=update_quality_settings,
    staff_only=frozenset({"gold_threshold", "gold_min_items"}),
    describe=describe,
)
