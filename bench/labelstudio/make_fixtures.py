"""Make the Label Studio fixture files under trainerdesk/workbench/tests/fixtures/labelstudio/
by driving a real Label Studio through its API.

    python3 -m venv /work/lsvenv && /work/lsvenv/bin/pip install label-studio
    /work/lsvenv/bin/label-studio start --internal-host 127.0.0.1 --port 8091 --no-browser \\
        --data-dir /tmp/lsdata --username admin@example.com --password adminpass123 \\
        --user-token <40-char token> --enable-legacy-api-token
    LABEL_STUDIO_TOKEN=<token> python bench/labelstudio/make_fixtures.py

For each project (classification, spans, rectangles, pairwise) it imports a few tasks (some
with predictions), annotates them as two users (the API's completed_by), and saves every
export Label Studio offers for it: JSON (predictions as ids), JSON_MIN, CSV, and a snapshot
export with the full predictions. Region values (offsets, boxes, original image sizes) are
what Label Studio's editor would send; the exports are Label Studio's own output.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from lsclient import Client  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "trainerdesk/workbench/tests/fixtures/labelstudio"

TEXTS = [
    "Angela Merkel met Apple executives in Berlin.",
    "The match was dull and the referee was worse.",
    "Lovely weather today, the park is full.",
    "Shares of Siemens fell after the report.",
]


def choice(name, value):
    return {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": [value]}}


def span(text, word, label, rid):
    start = text.index(word)
    value = {"start": start, "end": start + len(word), "text": word, "labels": [label]}
    return {"id": rid, "from_name": "entities", "to_name": "text", "type": "labels", "value": value}


def box(x, y, w, h, label, rid, size=(640, 480)):
    value = {"x": x, "y": y, "width": w, "height": h, "rotation": 0, "rectanglelabels": [label]}
    return {"id": rid, "from_name": "objects", "to_name": "image", "type": "rectanglelabels",
            "value": value, "original_width": size[0], "original_height": size[1],
            "image_rotation": 0}  # fmt: skip


def pair(selected):
    return {"from_name": "preference", "to_name": "preference", "type": "pairwise",
            "value": {"selected": selected}}  # fmt: skip


PROJECTS = {
    "classification": {
        "config": """<View>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text">
    <Choice value="positive"/><Choice value="negative"/><Choice value="neutral"/>
  </Choices>
</View>""",
        "tasks": [
            {"data": {"text": t}}
            | (
                {
                    "predictions": [
                        {
                            "model_version": "m1",
                            "score": 0.8,
                            "result": [choice("sentiment", "neutral")],
                        }
                    ]
                }
                if i < 2
                else {}
            )
            for i, t in enumerate(TEXTS)
        ],  # fmt: skip
        # per task: (annotator index, result); task 3 is annotated by nobody
        "annotations": [
            [(0, [choice("sentiment", "neutral")]), (1, [choice("sentiment", "positive")])],
            [(0, [choice("sentiment", "negative")]), (1, [choice("sentiment", "negative")])],
            [(0, [choice("sentiment", "positive")])],
            [],
        ],
    },
    "spans": {
        "config": """<View>
  <Labels name="entities" toName="text">
    <Label value="PER"/><Label value="ORG"/><Label value="LOC"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>""",
        "tasks": [{"data": {"text": t}} for t in (TEXTS[0], TEXTS[3])],
        "annotations": [
            [
                (
                    0,
                    [
                        span(TEXTS[0], "Angela Merkel", "PER", "a1"),
                        span(TEXTS[0], "Apple", "ORG", "a2"),
                        span(TEXTS[0], "Berlin", "LOC", "a3"),
                    ],
                ),
                (
                    1,
                    [
                        span(TEXTS[0], "Angela Merkel", "PER", "b1"),
                        span(TEXTS[0], "Berlin", "LOC", "b2"),
                    ],
                ),
            ],
            [
                (0, [span(TEXTS[3], "Siemens", "ORG", "c1")]),
                (1, [span(TEXTS[3], "Siemens", "ORG", "d1")]),
            ],
        ],  # fmt: skip
    },
    "boxes": {
        "config": """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="objects" toName="image">
    <Label value="car"/><Label value="person"/>
  </RectangleLabels>
</View>""",
        # Never fetched: Label Studio stores the URL and the editor reports the image size.
        "tasks": [
            {"data": {"image": f"https://images.example.org/street-{i}.jpg"}} for i in (1, 2, 3)
        ],
        "annotations": [
            [
                (0, [box(10, 20, 30, 40, "car", "r1"), box(50, 10, 20, 60, "person", "r2")]),
                (1, [box(11, 21, 29, 39, "car", "r3")]),
            ],
            [
                (0, [box(5, 5, 50, 50, "car", "r4", (800, 600))]),
                (1, [box(6, 5, 49, 50, "car", "r5", (800, 600))]),
            ],
            [(1, [box(40, 40, 10, 20, "person", "r6", (1024, 768))])],
        ],  # fmt: skip
    },
    "pairwise": {
        "config": """<View>
  <Text name="prompt" value="$prompt"/>
  <Text name="left" value="$left"/>
  <Text name="right" value="$right"/>
  <Pairwise name="preference" toName="left,right"/>
</View>""",
        "tasks": [
            {"data": {"prompt": "Name a prime.", "left": "Seven.", "right": "Nine."}},
            {"data": {"prompt": "Capital of France?", "left": "Lyon.", "right": "Paris."}},
            {"data": {"prompt": "2 + 2?", "left": "4", "right": "Four."}},
        ],
        "annotations": [
            [(0, [pair("left")]), (1, [pair("left")])],
            [(0, [pair("right")]), (1, [pair("right")])],
            [(0, [pair("left")]), (1, [pair("right")])],
        ],
    },
}

EXPORTS = {"JSON": "json", "JSON_MIN": "min.json", "CSV": "csv"}


def main() -> None:
    ls = Client()
    if not ls.reachable():
        sys.exit(f"Label Studio is not reachable at {ls.url}")
    users = [ls.user("alice@example.org"), ls.user("bob@example.org")]
    OUT.mkdir(parents=True, exist_ok=True)
    for name, spec in PROJECTS.items():
        project = ls.project(f"fixtures: {name}", spec["config"])
        ls.import_tasks(project, spec["tasks"])
        tasks = sorted(ls.tasks(project), key=lambda t: t["id"])
        assert len(tasks) == len(spec["tasks"]), (name, len(tasks))
        for task, anns in zip(tasks, spec["annotations"], strict=True):
            for who, result in anns:
                ls.annotate(task["id"], result, users[who])
        (OUT / f"{name}.xml").write_text(spec["config"] + "\n")
        for export_type, ext in EXPORTS.items():
            (OUT / f"{name}.{ext}").write_bytes(ls.export(project, export_type))
        (OUT / f"{name}.snapshot.json").write_bytes(ls.snapshot(project))
        print(f"{name}: project {project}, {len(tasks)} tasks")


if __name__ == "__main__":
    main()
