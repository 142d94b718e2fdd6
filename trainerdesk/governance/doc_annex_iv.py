"""A draft of the technical documentation of Annex IV of the EU AI Act (Regulation (EU)
2024/1689) for a system made of model versions, from the facts services/doc_facts.py
gathers (no Django imports).

Only the points TrainerDesk has records for are filled from data: §2(d) data requirements
(the datasheets of the dataset versions), §2(g) validation and testing (the evaluation runs
as dated test logs, accuracy, robustness across slices, discriminatory impact from the
bias audits) and the factual part of §3; everything else is a person-written field. The
Art. 10(2)(a)–(h) checklist says which points the data fills and which still need text.
"""

from __future__ import annotations

from typing import Any

from trainerdesk.governance.doc_content import (
    document,
    facts,
    model_label,
    na,
    person,
    section,
    table,
    when,
)
from trainerdesk.governance.doc_datasheet import gaps_block
from trainerdesk.governance.doc_model_card import (
    audits_table,
    eval_data,
    fairness_blocks,
    metrics_table,
    run_label,
    slices_table,
    suites_table,
)

KIND = "annex_iv"

FIELDS = {
    "general_description": "§1 General description: intended purpose, provider, versions, "
    "hardware, how it interacts with other systems, instructions for use",
    "development_methods": "§2(a)–(c) Methods and steps of development, design "
    "specifications, system architecture",
    "human_oversight": "§2(e) Human oversight measures (Art. 14)",
    "cybersecurity": "§2(h) Cybersecurity measures",
    "monitoring": "§3 Monitoring, functioning and control: capabilities and limitations, "
    "foreseeable unintended outcomes, input data specifications",
    "risk_management": "§5 Risk management system (Art. 9)",
    "post_market": "§9 Post-market monitoring plan (Art. 72)",
    "design_choices": "Art. 10(2)(a) Relevant design choices",
    "data_origin": "Art. 10(2)(b) Data collection processes and origin of the data "
    "(for personal data: the original purpose of collection)",
    "assumptions": "Art. 10(2)(d) Assumptions: what the data is supposed to measure and represent",
    "suitability": "Art. 10(2)(e) Assessment of the availability, quantity and "
    "suitability of the data sets",
    "bias_measures": "Art. 10(2)(g) Measures to detect, prevent and mitigate the biases found",
}

# (point, requirement, what the data gives (None: nothing), the person field that completes it)
ART_10_POINTS = [
    ("a", "relevant design choices", None, "design_choices"),
    ("b", "data collection processes and origin of data", None, "data_origin"),
    ("c", "data-preparation operations (annotation, labelling, cleaning, aggregation)",
     "labelling", None),
    ("d", "formulation of assumptions", None, "assumptions"),
    ("e", "availability, quantity and suitability of the data sets", "quantity", "suitability"),
    ("f", "examination in view of possible biases", "bias", None),
    ("g", "measures to detect, prevent and mitigate biases", None, "bias_measures"),
    ("h", "data gaps or shortcomings and how they are addressed", "gaps", None),
]  # fmt: skip


def _data_available(f: dict[str, Any]) -> dict[str, str | None]:
    """Per kind of data point: a sentence naming the records that fill it, or None."""
    lab = f["labelling"]
    return {
        "labelling": (
            f"{lab['annotations']:,} annotations by {lab['annotators']:,} annotators under "
            f"{lab['guidelines']} guideline versions, {lab['reviewed']:,} reviewed, final "
            f"label rule {lab['rule']}"
            if lab["annotations"]
            else None
        ),
        "quantity": (
            f"{len(f['datasheets'])} dataset versions ({f['datasheets'][0]['record_count']:,} "
            "items in the newest)"
            if f["datasheets"]
            else None
        ),
        "bias": (f"{len(f['bias_audits'])} bias audits" if f["bias_audits"] else None),
        "gaps": (f"data gaps register: {len(f['gaps'])} entries" if f["gaps"] else None),
    }


def checklist(f: dict[str, Any], texts: dict[str, str]) -> dict[str, Any]:
    data = _data_available(f)
    rows = []
    for point, requirement, source, field in ART_10_POINTS:
        filled = data.get(source) if source else None
        written = bool(field and texts.get(field))
        if filled and (written or not field):
            status = "filled from data"
        elif filled:
            status = "filled from data; needs a person's text"
        elif written:
            status = "written by a person"
        elif source:
            status = (
                "needs data ("
                + na("no records yet")
                + ")"
                + ("; needs a person's text" if field else "")
            )
        else:
            status = "needs a person's text"
        rows.append([f"10(2)({point})", requirement, status, filled or "—"])
    return table(
        ["Point", "Requirement", "Status", "From the data"],
        rows,
        caption="Art. 10(2) data governance checklist",
    )


def _datasheets(f: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for d in f["datasheets"]:
        doc = d["document"]
        rows.append(
            [
                f"{d['name']} (#{d['id']})",
                d["version_id"],
                f"{d['record_count']:,}",
                (
                    f"datasheet #{doc['id']} v{doc['number']} "
                    f"({'approved' if doc['approved'] else 'draft'}), sha256 "
                    f"{doc['content_sha256']}"
                    if doc
                    else na("no datasheet generated for this version yet")
                ),
            ]
        )
    return table(
        ["Dataset version", "Version id", "Items", "Datasheet"],
        rows,
        caption="Data requirements: datasheets of the dataset versions",
        empty=na("the project has no built dataset version"),
    )


def _test_logs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return table(
        ["Test", "Date", "Version", "Run by", "Items", "Evaluation data", "Input sha256"],
        [
            [
                f"evaluation run {run_label(r)}",
                when(r["computed_at"]),
                r["version"],
                r["created_by"] or na("not recorded"),
                f"{r['items']:,} ({r['scope']}, against {r['against']})",
                eval_data(r),
                r["digest"],
            ]
            for r in runs
        ],
        caption="Test logs (dated; signed off with this document's approval)",
    )


def build_annex_iv(f: dict[str, Any], texts: dict[str, str]) -> dict[str, Any]:
    p = f["project"]
    runs = [r for v in f["versions"] for r in v["runs"]]
    systems = ", ".join(model_label(v["model"], v["name"]) for v in f["versions"])

    def txt(key: str) -> dict[str, Any]:
        return person(key, texts, FIELDS)

    versions = table(
        ["Model version", "Source", "Created", "Training data sha256"],
        [
            [
                f"{model_label(v['model'], v['name'])} (#{v['id']})",
                v["source"],
                v["created_at"][:10],
                v["training_digest"] or na("imported: not trained by TrainerDesk"),
            ]
            for v in f["versions"]
        ],
        caption="Model versions of the system",
    )
    latest = [v["runs"][0] for v in f["versions"]]
    return document(
        kind=KIND,
        title=f"Annex IV technical documentation (draft): {systems}",
        subject={"model_versions": [v["id"] for v in f["versions"]]},
        sections=[
            section(
                "general",
                "1. General description",
                [
                    facts([("Project", f"{p['name']} (#{p['id']})")]),
                    versions,
                    txt("general_description"),
                ],
            ),
            section("development", "2(a)–(c) Development", [txt("development_methods")]),
            section(
                "data",
                "2(d) Data requirements",
                [_datasheets(f), gaps_block(f["gaps"])],
            ),
            section("oversight", "2(e) Human oversight", [txt("human_oversight")]),
            section(
                "testing",
                "2(g) Validation and testing",
                [
                    _test_logs(runs),
                    *[
                        suites_table(v.get("suite_runs", []), model_label(v["model"], v["name"]))
                        for v in f["versions"]
                    ],
                    metrics_table(runs, with_version=True),
                    *[slices_table(r) for r in latest],
                    audits_table(f["bias_audits"]),
                    *[
                        b
                        for v in f["versions"]
                        for b in fairness_blocks(
                            v.get("fairness", []), model_label(v["model"], v["name"])
                        )
                    ],
                ],
            ),
            section("cybersecurity", "2(h) Cybersecurity", [txt("cybersecurity")]),
            section(
                "monitoring",
                "3. Monitoring, functioning and control",
                [
                    facts(
                        [
                            (
                                "Post-deployment monitoring records",
                                na("TrainerDesk records no production traffic"),
                            ),
                            (
                                "Accuracy for specific groups",
                                "see the slices and bias audits under 2(g)"
                                if runs
                                else na("no evaluation run"),
                            ),
                        ]
                    ),
                    txt("monitoring"),
                ],
            ),
            section("risk", "5. Risk management", [txt("risk_management")]),
            section("post_market", "9. Post-market monitoring plan", [txt("post_market")]),
            section(
                "art10",
                "Art. 10(2) data governance",
                [
                    checklist(f, texts),
                    txt("design_choices"),
                    txt("data_origin"),
                    txt("assumptions"),
                    txt("suitability"),
                    txt("bias_measures"),
                ],
            ),
        ],
        inputs=f["inputs"],
    )
