"""The bias-audit demo: a tabular project of carData's Toronto arrests (5,226 people, via
scikit-lego's data file; governance/fairness_data.py) and one audit of it by colour.

Nothing is simulated. Each person's recorded outcome (released with a summons, or held)
is imported as an annotation by the named source "Toronto police records (carData)", so
it is the item's final label; it is not the item's reference, which annotators could be
shown as feedback."""

from __future__ import annotations

from typing import TextIO

from trainerdesk.accounts.models import Organization
from trainerdesk.governance.models import BiasAudit
from trainerdesk.lib.errors import InvalidInput

PROJECT = "Toronto arrests: release decisions"
SOURCE = "Toronto police records (carData)"
FIELDS = ("colour", "sex", "age", "year", "employed", "citizen", "checks", "split")
SCHEMA = {
    "fields": [
        {
            "name": "outcome",
            "type": "choice",
            "source": "text",
            "labels": [{"value": "released", "hotkey": "r"}, {"value": "held", "hotkey": "h"}],
        }
    ]
}


def _text(row: dict) -> str:
    return (
        f"Arrested in {row['year']} for simple possession of marijuana: age {row['age']}, "
        f"sex {row['sex']}, employed {row['employed']}, citizen {row['citizen']}, "
        f"{row['checks']} police database checks."
    )


def load_bias_demo(*, stdout: TextIO | None = None, limit: int | None = None) -> dict:
    from trainerdesk.governance import fairness_data, services
    from trainerdesk.workbench import demo as wb_demo
    from trainerdesk.workbench import formats

    def say(text: str) -> None:
        if stdout is not None:
            stdout.write(text + "\n")

    # The workbench demo ran first (`trainerdesk demo` calls the apps' hooks after it), so
    # its organization and manager exist; the demo reset deletes this project with them.
    org = Organization.objects.filter(name=wb_demo.ORG_NAME).order_by("id").first()
    if org is None:
        return {"skipped": "the workbench demo organization is missing"}
    manager = wb_demo._user(wb_demo.MANAGER)[0]
    try:
        people = fairness_data.load_arrests()
    except fairness_data.DatasetUnavailable as exc:
        say(f"Skipped the bias-audit demo: {exc}")
        return {"skipped": str(exc)}
    people = people[:limit] if limit else people
    project, created = wb_demo._project(
        org=org,
        manager=manager,
        name=PROJECT,
        schema=SCHEMA,
        instructions="Record the release decision.",
        overlap=1,
        description=f"{len(people):,} people arrested in Toronto for possession of "
        "marijuana (carData's Arrests, via scikit-lego), with the recorded release decision "
        f"imported as the labels of {SOURCE!r}.",
    )
    if created:
        rows = [
            formats.Row(
                line=i + 1,
                external_id=row["id"],
                # The record id keeps two people with the same details two items (the
                # import drops rows whose data is already in the project).
                data={"record": row["id"], "text": _text(row), **{k: row[k] for k in FIELDS}},
                annotations=[{"annotator": SOURCE, "answer": {"outcome": row["label"]}}],
            )
            for i, row in enumerate(people)
        ]
        wb_demo._fill(project, rows)
        say(f"Created project {PROJECT} ({len(rows)} items)")
    audit = BiasAudit.objects.filter(project=project).first()
    if audit is None:
        try:
            audit = services.run_label_parity_audit(
                project=project,
                attribute="colour",
                positive=fairness_data.ARRESTS.positive,
                privileged="White",
                by=manager,
            )
        except InvalidInput as exc:
            # A tiny --limit can leave one group or no release: the demo still loads.
            say(f"Skipped the demo bias audit: {exc}")
            return {"project": project.pk, "audit": None}
        say(f"Ran the bias audit of {PROJECT} by colour")
    return {"project": project.pk, "audit": audit.pk}
