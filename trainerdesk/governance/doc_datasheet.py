"""The datasheet of a dataset version (Gebru et al., "Datasheets for Datasets", 2021), built
from the facts services/doc_facts.py gathers (no Django imports).

The seven sections of the paper; what TrainerDesk recorded fills them (composition,
labelling, review, gold accuracy, agreement, label-error findings, bias audits, the data
gaps register); what only a person knows is a `person` field, empty until written.
"""

from __future__ import annotations

from typing import Any

from trainerdesk.governance.doc_content import (
    document,
    facts,
    interval,
    na,
    note,
    num,
    pct,
    person,
    section,
    table,
    when,
)

KIND = "datasheet"

# The person-written fields: key -> what the page asks for.
FIELDS = {
    "motivation": "For what purpose was the dataset created, by whom, and who funded it?",
    "composition_notes": "What do the items represent; is any of it confidential or "
    "sensitive; does it relate to people?",
    "collection": "How was the data acquired, over what timeframe, and with what consent?",
    "preprocessing": "Preprocessing or cleaning done before labelling (raw data kept?)",
    "uses": "Tasks the dataset has been or should (not) be used for",
    "distribution": "To whom, how and under which licence is it distributed?",
    "maintenance": "Who maintains it, how are errors reported, will it be updated?",
}


def gaps_block(gaps: list[dict[str, Any]]) -> dict[str, Any]:
    """The data-gaps register as a table (also in the Annex IV draft)."""
    return table(
        ["Entry", "Status", "Gap or shortcoming", "How it is addressed", "Opened", "Closed"],
        [
            [
                f"#{g['id']} {g['title']}",
                g["status"],
                g["description"] or "—",
                g["resolution"] or ("—" if g["status"] == "open" else na("no resolution text")),
                g["created_at"][:10],
                (g["closed_at"] or "—")[:10],
            ]
            for g in gaps
        ],
        caption="Data gaps register (Art. 10(2)(h))",
        empty="The register has no entries: nobody has recorded a gap for this project.",
    )


def _labels_blocks(f: dict[str, Any]) -> list[dict[str, Any]]:
    total = f["version"]["record_count"]
    blocks = []
    for field in f["project"]["fields"]:
        counts = f["labels"].get(field["name"], [])
        blocks.append(
            table(
                ["Final label", "Items", "Share"],
                [[label, f"{n:,}", pct(n, total)] for label, n in counts],
                caption=f"Final labels of {field['name']} ({field['type']})",
                empty=na("no item of this version has a final answer for this field"),
            )
        )
    return blocks


def _composition(f: dict[str, Any], texts: dict[str, str]) -> dict[str, Any]:
    v, p = f["version"], f["project"]
    split = f["split_items"]
    rows = [
        ("Instances (labelled items)", f"{v['record_count']:,}"),
        ("Items without a final answer", f"{f['no_final']:,}"),
        ("Gold items (with a reference answer)", f"{f['gold_items']:,}"),
        (
            "Items in the evaluation split",
            f"{split:,}" if split is not None else na("the project has no evaluation split"),
        ),
        ("Label fields", ", ".join(fl["name"] for fl in p["fields"]) or na("no label fields")),
    ]
    blocks = [facts(rows), *_labels_blocks(f)]
    audits = f["bias_audits"]
    blocks.append(
        table(
            [
                "Audit",
                "Attributes",
                "Favourable label",
                "Max rate difference",
                "Min ratio",
                "4/5 rule",
            ],
            [
                [
                    f"#{a['id']} ({a['items']:,} items)",
                    " × ".join(a["attributes"]),
                    f"{a['field']} = {a['positive']}",
                    num(a["max_difference"]),
                    num(a["min_ratio"], why="highest rate is 0"),
                    "fails" if a["flag"] else "passes",
                ]
                for a in audits
            ],
            caption="Label parity of this version's final labels (bias audits)",
            empty=na("no bias audit was run on this version's labels"),
        )  # fmt: skip
    )
    blocks.append(person("composition_notes", texts, FIELDS))
    return section("composition", "Composition", blocks)


def _labelling(f: dict[str, Any], texts: dict[str, str]) -> dict[str, Any]:
    ann, rev = f["annotations"], f["reviews"]
    decided = rev["decisions"]
    blocks: list[dict[str, Any]] = [
        facts(
            [
                ("Final label rule", f["version"]["final_label_rule"] or na("not recorded")),
                ("Annotations (answers given)", f"{ann['count']:,}"),
                ("Skipped", f"{ann['skipped']:,}"),
                ("Annotators", f"{ann['annotators']:,}"),
                ("Imported annotations (from other tools)", f"{ann['imported']:,}"),
                ("Annotations per item (overlap asked)", f"{f['project']['overlap']}"),
                ("Annotations read up to", when(ann["cutoff"])),
            ]
        ),
        table(
            ["Guideline version", "Published", "Text sha256", "Annotations under it"],
            [
                [
                    f"v{g['version']}",
                    when(g["created_at"]) if g["created_at"] else na("no published text"),
                    g["sha256"] or na("no published text for this version"),
                    f"{g['annotations']:,}",
                ]
                for g in f["guidelines"]
            ],
            caption="Guidelines the annotations were given under",
            empty=na("no annotations"),
        ),
        facts(
            [
                ("Annotations reviewed", pct(rev["reviewed"], ann["count"])),
                ("Accepted", f"{decided.get('accepted', 0):,}"),
                ("Fixed by a reviewer", f"{decided.get('fixed', 0):,}"),
                ("Rejected", f"{decided.get('rejected', 0):,}"),
                ("Reviewers", f"{rev['reviewers']:,}"),
            ]
        ),
        table(
            ["Annotator", "Gold answered", "Correct", "Accuracy", "Status", "Snapshot"],
            [
                [
                    g["annotator"],
                    f"{g['n']:,}",
                    f"{g['correct']:,}",
                    interval(g["accuracy"], g["low"], g["high"]),
                    g["status"],
                    f"#{g['id']} of {g['computed_at'][:10]}",
                ]
                for g in f["gold"]
            ],
            caption="Annotator qualification: accuracy on gold items (95% Wilson intervals)",
            empty=na("no gold accuracy snapshot was recorded for these annotators"),
        ),
    ]
    if f["gold_missing"]:
        blocks.append(
            note(
                f"{f['gold_missing']} of {ann['annotators']} annotators have no gold accuracy "
                "snapshot: their qualification is not available."
            )
        )
    blocks.append(_agreement(f["agreement"]))
    blocks.append(_label_errors(f["label_errors"]))
    if f["label_errors"] and f["label_errors"]["corrected"]:
        # quality.LabelErrorFinding: nothing applies a confirmed correction by itself.
        blocks.append(
            note(
                "Corrections confirmed on label-error findings are recorded there; they change "
                "a final label only through a reviewer's fix (counted above)."
            )
        )
    blocks.append(person("preprocessing", texts, FIELDS))
    return section("labelling", "Preprocessing, cleaning and labelling", blocks)


def _agreement(rep: dict[str, Any] | None) -> dict[str, Any]:
    if rep is None:
        return facts([("Inter-annotator agreement", na("no agreement report was computed"))])

    def value(x: dict[str, Any] | None) -> str:
        if not x:
            return na("not computed for this field")
        return num(x.get("value"), why=x.get("reason") or "not computed")

    return table(
        ["Field", "Percent agreement", "Krippendorff's α", "Fleiss' κ"],
        [
            [r["name"], value(r["percent"]), value(r["alpha"]), value(r["kappa"])]
            for r in rep["fields"]
        ],  # fmt: skip
        caption=(
            f"Inter-annotator agreement: report #{rep['id']} of {rep['computed_at'][:10]} "
            f"({rep['items']:,} items, {rep['annotations']:,} annotations; "
            f"{'computed on this version' if rep.get('of_version') else 'project-wide'})"
        ),
        empty=na("the report has no fields"),
    )


def _label_errors(run: dict[str, Any] | None) -> dict[str, Any]:
    if run is None:
        return facts([("Label-error detection", na("no label-error run finished"))])
    return facts(
        [
            (
                "Label-error run",
                f"#{run['id']} on {run['field']}, {run['finished_at'][:10]}"
                f" ({'on this version' if run.get('of_version') else 'project-wide'})",
            ),
            ("Items considered", f"{run['considered']:,}"),
            ("Likely label errors found", f"{run['issues']:,}"),
            ("Confirmed errors", f"{run['confirmed']:,} ({run['corrected']:,} with a correction)"),
            ("Not an error", f"{run['not_error']:,}"),
            ("Still open (not yet reviewed)", f"{run['open']:,}"),
        ]
    )


def build_datasheet(f: dict[str, Any], texts: dict[str, str]) -> dict[str, Any]:
    v, p = f["version"], f["project"]
    motivation = section(
        "motivation",
        "Motivation",
        [
            facts(
                [
                    ("Project", f"{p['name']} (#{p['id']})"),
                    ("Project description", p["description"] or na("the project has none")),
                ]
            ),
            person("motivation", texts, FIELDS),
        ],
    )
    collection = section(
        "collection",
        "Collection process",
        [
            facts(
                [
                    ("Dataset version", f"{v['name']} (#{v['id']})"),
                    ("Version id (sha256 of the manifest)", v["version_id"]),
                    ("Snapshot taken", when(v["built_at"])),
                    ("Requested by", v["created_by"] or na("user deleted")),
                    ("Tags", ", ".join(v["tags"]) or "—"),
                    ("Notes", v["notes"] or "—"),
                ]
            ),
            person("collection", texts, FIELDS),
        ],
    )
    return document(
        kind=KIND,
        title=f"Datasheet: {p['name']}, version {v['name']}",
        subject={"dataset_version": v["id"], "version_id": v["version_id"]},
        sections=[
            motivation,
            _composition(f, texts),
            collection,
            _labelling(f, texts),
            section("uses", "Uses", [person("uses", texts, FIELDS)]),
            section("distribution", "Distribution", [person("distribution", texts, FIELDS)]),
            section(
                "maintenance",
                "Maintenance",
                [gaps_block(f["gaps"]), person("maintenance", texts, FIELDS)],
            ),
        ],
        inputs=f["inputs"],
    )
