"""The model card of a model version (Mitchell et al., "Model Cards for Model Reporting",
2019), built from the facts services/doc_facts.py gathers (no Django imports).

Metrics come from the version's finished evaluation runs with their bootstrap intervals,
disaggregated results from the runs' slices and the project's bias audits; training data
from the baseline trainer's record (an imported version has none: said so).
"""

from __future__ import annotations

from typing import Any

from trainerdesk.governance.doc_content import (
    document,
    facts,
    interval,
    model_label,
    na,
    note,
    num,
    pct,
    person,
    section,
    table,
    when,
)

KIND = "model_card"

FIELDS = {
    "intended_use": "Primary intended uses and users; uses out of scope",
    "factors": "Relevant factors (groups, instrumentation, environments) and why",
    "training_data": "Training data, when TrainerDesk did not train the model",
    "ethical_considerations": "Ethical considerations (sensitive data, risks, mitigations)",
    "caveats": "Caveats and recommendations beyond those derived below",
}


def _ci(stat: dict[str, Any] | None) -> str:
    if not stat:
        return na("not computed for this run")
    return interval(stat.get("value"), stat.get("low"), stat.get("high"))


def run_label(run: dict[str, Any]) -> str:
    return f"#{run['id']} ({run['computed_at'][:10]})"


def eval_data(run: dict[str, Any]) -> str:
    dv = run.get("dataset_version")
    if dv:
        return f"dataset version {dv['name']} (#{dv['id']}, {dv['version_id'][:12]}…)"
    return na("no dataset version recorded (the project's live labels)")


def metrics_table(runs: list[dict[str, Any]], *, with_version: bool = False) -> dict[str, Any]:
    cols = ["Run", "Items", "Against", "Accuracy", "Error rate", "Macro F1", "Cohen's κ"]
    rows = []
    for r in runs:
        row = [
            run_label(r),
            f"{r['items']:,} ({r['scope']})",
            r["against"],
            _ci(r["accuracy"]),
            _ci(r["error_rate"]),
            _ci(r["macro_f1"]),
            num(r["kappa"], why="not computed"),
        ]
        rows.append([r["version"], *row] if with_version else row)
    return table(
        ["Version", *cols] if with_version else cols,
        rows,
        caption="Metrics with 95% percentile-bootstrap intervals over items",
    )


def slices_table(run: dict[str, Any]) -> dict[str, Any]:
    return table(
        ["Slice", "n", "Error rate", "Accuracy"],
        [
            [
                f"{s['key']} = {s['value']}" + (" (small, n < 30)" if s["small"] else ""),
                f"{s['n']:,}",
                _ci(s["error_rate"]),
                _ci(s["accuracy"]),
            ]
            for s in run["slices"]
        ],
        caption=f"Disaggregated results of run {run_label(run)}, worst first",
        empty=na("the run computed no slices"),
    )


def audits_table(audits: list[dict[str, Any]]) -> dict[str, Any]:
    return table(
        ["Audit", "Attributes", "Favourable label", "Group rates", "Min ratio", "4/5 rule"],
        [
            [
                f"#{a['id']}",
                " × ".join(a["attributes"]),
                f"{a['field']} = {a['positive']}",
                "; ".join(
                    f"{g['group']}: {interval(g['rate'], g['low'], g['high'])} (n={g['n']:,})"
                    for g in a["groups"]
                ),
                num(a["min_ratio"], why="highest rate is 0"),
                "fails" if a["flag"] else "passes",
            ]
            for a in audits
        ],
        caption="Label parity of the data the model is measured against (bias audits)",
        empty=na("no bias audit was run in this project"),
    )


def suites_table(runs: list[dict[str, Any]], who: str = "") -> dict[str, Any]:
    """Behavioural test suite runs (CheckList: minimum functionality, invariance,
    directional), each test's passes, as dated test logs."""
    return table(
        ["Suite run", "Date", "Run by", "Test", "Kind", "Passed"],
        [
            [
                f"#{r['id']} {r['suite']}",
                when(r["computed_at"]),
                r["created_by"] or "—",
                t["name"],
                t["kind"],
                pct(t["passed"], t["cases"]),
            ]
            for r in runs
            for t in r["tests"]
        ],  # fmt: skip
        caption=f"Behavioural test suites{' of ' + who if who else ''} (robustness)",
        empty=na("no behavioural test suite was run on this version"),
    )


FAIRLEARN_ROWS = [
    ("demographic_parity_difference", "Demographic parity difference (selection rate)"),
    ("demographic_parity_ratio", "Demographic parity ratio"),
    ("equalized_odds_difference", "Equalized odds difference (max of TPR, FPR gaps)"),
    ("equal_opportunity_difference", "Equal opportunity difference (TPR gap)"),
]


def fairness_blocks(entries: list[dict[str, Any]], who: str) -> list[dict[str, Any]]:
    """Per bias audit: the model's per-group rates and fairlearn's aggregates, or why
    they cannot be measured."""
    blocks: list[dict[str, Any]] = []
    for e in entries:
        by = " × ".join(e["attributes"])
        what = f"{who} by {by} (audit #{e['audit']}, favourable {e['field']} = {e['positive']})"
        if "error" in e:
            blocks.append(facts([(f"Model fairness of {what}", na(e["error"]))]))
            continue
        blocks.append(
            table(
                ["Group", "n", "Selection rate", "TPR", "FPR", "Accuracy"],
                [
                    [
                        g["group"] + (" (small)" if g["small"] else ""),
                        f"{g['n']:,}",
                        *(
                            _ci(g[m])
                            for m in (
                                "selection_rate",
                                "true_positive_rate",
                                "false_positive_rate",
                                "accuracy",
                            )
                        ),
                    ]  # fmt: skip
                    for g in e["groups"]
                ],
                caption=f"Model fairness of {what}: predictions against final labels",
            )
        )
        blocks.append(
            facts(
                [(label, _ci(e["fairlearn"].get(key))) for key, label in FAIRLEARN_ROWS]
                + [
                    (
                        "Reference (privileged) group",
                        f"{e['privileged']} ({e.get('privileged_source') or 'highest rate'})",
                    ),
                    ("Items", f"{e['n']:,}; {e['resamples']} stratified bootstrap resamples"),
                ]
            )  # fmt: skip
        )
    return blocks


def derived_caveats(runs: list[dict[str, Any]], training: dict[str, Any] | None) -> list[str]:
    """Caveats the records themselves show (never a judgement the system cannot make)."""
    out = []
    for r in runs:
        if r["scope"] != "split":
            out.append(
                f"Run {run_label(r)} evaluated on all labelled items, not a held-out split: "
                "its metrics may be optimistic if the model saw these items."
            )
        if r["left_out"]:
            out.append(
                f"Run {run_label(r)} left out {r['left_out']:,} items (no reference or no "
                "prediction)."
            )
        small = [s for s in r["slices"] if s["small"]]
        if small:
            out.append(
                f"Run {run_label(r)}: {len(small)} of {len(r['slices'])} slices have fewer "
                "than 30 items; their intervals are wide."
            )
        if not r["probabilities"]:
            out.append(f"Run {run_label(r)} had no probabilities: calibration is not known.")
    if training and training.get("absent_labels"):
        out.append(
            "The training data had no example of: " + ", ".join(training["absent_labels"]) + "."
        )
    return out


def _training(f: dict[str, Any], texts: dict[str, str]) -> list[dict[str, Any]]:
    t = f["version"]["training"]
    if not t:
        return [
            facts([("Training data", na("an imported version: TrainerDesk did not train it"))]),
            person("training_data", texts, FIELDS),
        ]
    counts = ", ".join(f"{k}: {v:,}" for k, v in sorted(t.get("label_counts", {}).items()))
    libs = ", ".join(f"{k} {v}" for k, v in sorted(t.get("library_versions", {}).items()))
    return [
        facts(
            [
                ("Trained by", "TrainerDesk's built-in baseline (TF-IDF + logistic regression)"),
                ("Training items", f"{t.get('items', 0):,} final labels outside the split"),
                ("Label counts", counts or na("not recorded")),
                ("Items held out", f"{t.get('held_out_items', 0):,}"),
                ("Training data sha256 (item id, label)", t.get("training_digest", "")),
                ("Model sha256", t.get("model_digest") or na("not recorded")),
                ("Split sha256", t.get("split_items_sha256") or na("not recorded")),
                ("Seed", t.get("seed", na("not recorded"))),
                ("Libraries", libs or na("not recorded")),
            ]
        )
    ]


def build_model_card(f: dict[str, Any], texts: dict[str, str]) -> dict[str, Any]:
    v, m, p = f["version"], f["model"], f["project"]
    runs = f["runs"]
    latest = runs[0]
    split = f["split"]
    details = facts(
        [
            ("Model", f"{m['name']} (#{m['id']})"),
            ("Version", f"{v['name']} (#{v['id']})"),
            ("Source", v["source"]),
            ("Created", when(v["created_at"])),
            ("Created by", v["created_by"] or na("not recorded")),
            ("Project", f"{p['name']} (#{p['id']})"),
            ("Notes", v["notes"] or "—"),
        ]
    )
    eval_rows = [
        ("Evaluation data of the latest run", eval_data(latest)),
        ("Reference labels", latest["against"]),
    ]
    if split:
        eval_rows.append(
            (
                "Evaluation split",
                f"{split['items']:,} held-out items of {split['field']} "
                f"(fraction {split['fraction']}, seed {split['seed']}, sha256 "
                f"{split['digest']}), fixed since {split['created_at'][:10]}",
            )
        )
    else:
        eval_rows.append(("Evaluation split", na("the project has no evaluation split")))
    caveats = [note(c) for c in derived_caveats(runs, v["training"] or None)]
    return document(
        kind=KIND,
        title=f"Model card: {model_label(m['name'], v['name'])}",
        subject={"model_version": v["id"]},
        sections=[
            section("details", "Model details", [details]),
            section("intended_use", "Intended use", [person("intended_use", texts, FIELDS)]),
            section(
                "factors",
                "Factors",
                [
                    facts(
                        [
                            (
                                "Slice keys evaluated",
                                ", ".join(sorted({s["key"] for r in runs for s in r["slices"]}))
                                or na("no slices computed"),
                            )
                        ]
                    ),
                    person("factors", texts, FIELDS),
                ],
            ),
            section(
                "metrics",
                "Metrics",
                [
                    metrics_table(runs),
                    note(
                        f"Intervals: {latest['method']}, {latest['resamples']:,} resamples, "
                        f"seed {latest['seed']}."
                    ),
                    suites_table(v.get("suite_runs", [])),
                ],
            ),
            section("evaluation_data", "Evaluation data", [facts(eval_rows)]),
            section("training_data", "Training data", _training(f, texts)),
            section(
                "quantitative_analyses",
                "Quantitative analyses (disaggregated)",
                [
                    slices_table(latest),
                    audits_table(f["bias_audits"]),
                    *fairness_blocks(v.get("fairness", []), "the model"),
                ],
            ),
            section(
                "ethical_considerations",
                "Ethical considerations",
                [person("ethical_considerations", texts, FIELDS)],
            ),
            section(
                "caveats",
                "Caveats and recommendations",
                [*caveats, person("caveats", texts, FIELDS)],
            ),
        ],
        inputs=f["inputs"],
    )
