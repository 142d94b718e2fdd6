"""Import the same N items four ways, interleaved, against the floor of a bare insert.

Issue 9's import target is a ratio: the product's import within 4x of a bare SQLite
`executemany` of the same rows on the same machine, in the same run. Each round times,
in turn:

- floor: `executemany` of the finished row tuples (the exact values the product stores)
  into a table with the item table's columns and no index, key or trigger, in a fresh
  SQLite file, one commit;
- service: `services.import_stream` on the JSONL file (what the worker runs for an upload);
- api: `POST /api/v1/projects/{id}/items` in calls of 10,000 items, in process through
  Django's test client (the HTTP server's own cost is measured by bench_queue);
- cli: `trainerdesk import PROJECT FILE` as a subprocess, from process start to exit;
- labelstudio (with --label-studio-token): the same items uploaded to a running Label
  Studio's import endpoint as one JSON file (its import takes a JSON list of tasks; the
  JSONL file is not one of its formats), timed to the response, which LS sends once the
  tasks are stored.

Each product way imports into a project of its own, so every row is new. Rounds are
interleaved so a load change on a shared machine hits all four alike.

    .venv/bin/python bench/bench_import_ratio.py --n 100000 --rounds 3 \
        [--label-studio-url http://127.0.0.1:8092 --label-studio-token TOKEN]
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

API_CALL = 10_000


def floor_rows(path: Path) -> list[tuple]:
    """The row tuples the import stores, made once outside any timing."""
    import random

    from trainerdesk.lib.jsonutil import content_hash, dumps

    rows = []
    with open(path, "rb") as fh:
        for line in fh:
            data = json.loads(line)
            key = random.getrandbits(62)
            rows.append(
                (1, None, dumps(data), content_hash(data), 0, key, key, None, None,
                 "2026-12-03 00:00:00", False, "", True)
            )  # fmt: skip
    return rows


def time_floor(root: Path, rows: list[tuple], index: int) -> float:
    db = root / f"floor-{index}.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE item (id INTEGER PRIMARY KEY, project_id, external_id, data, "
        "content_hash, priority, random_key, queue_rank, reference, import_job_id, "
        "created_at, is_gold, gold_explanation, available)"
    )
    conn.commit()
    t0 = time.perf_counter()
    conn.executemany(
        "INSERT INTO item (project_id, external_id, data, content_hash, priority, random_key, "
        "queue_rank, reference, import_job_id, created_at, is_gold, gold_explanation, available)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.commit()
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def time_service(source: Path, n: int) -> float:
    _, _, project = c.create_owner_and_project()
    gc.collect()
    t0 = time.perf_counter()
    result = c.import_file(project=project, path=source)
    elapsed = time.perf_counter() - t0
    assert result.added == n, result
    return elapsed


def time_api(source: Path, n: int) -> float:
    from django.test import Client

    owner, _, project = c.create_owner_and_project()
    token = c.token_for(owner)
    lines = source.read_bytes().splitlines()
    # The request bodies are built outside the timing: a client has them ready to send.
    bodies = [
        b"[" + b",".join(lines[i : i + API_CALL]) + b"]" for i in range(0, len(lines), API_CALL)
    ]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    gc.collect()
    t0 = time.perf_counter()
    for body in bodies:
        response = client.post(
            f"/api/v1/projects/{project.pk}/items", body, content_type="application/json"
        )
        assert response.status_code in (200, 201), response.content[:300]
    elapsed = time.perf_counter() - t0
    from trainerdesk.workbench.models import Item

    assert Item.objects.filter(project=project).count() == n
    return elapsed


def time_cli(source: Path, n: int) -> float:
    _, _, project = c.create_owner_and_project()
    c.close_db()
    cli = Path(sys.executable).with_name("trainerdesk")
    t0 = time.perf_counter()
    done = subprocess.run(
        [str(cli), "import", str(project.pk), str(source), "--no-progress"],
        capture_output=True,
        text=True,
        env=os.environ,
    )
    elapsed = time.perf_counter() - t0
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"{n:,} added" in done.stdout, done.stdout
    return elapsed


def time_labelstudio(source: Path, n: int, client) -> float:
    body = b"[" + b",".join(source.read_bytes().splitlines()) + b"]"
    project = client.project(c.unique("bench import"), LS_CONFIG)
    t0 = time.perf_counter()
    answer = client.import_file(project, "items.json", body)
    elapsed = time.perf_counter() - t0
    assert answer.get("task_count") == n, answer
    return elapsed


LS_CONFIG = (
    '<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text">'
    '<Choice value="positive"/><Choice value="negative"/></Choices></View>'
)


def main(argv: list[str] | None = None) -> dict:
    p = c.parser("Import N items four ways against a bare executemany.", default_n=100_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--label-studio-url", default="http://127.0.0.1:8091")
    p.add_argument("--label-studio-token", default=None, help="also time Label Studio")
    args = p.parse_args(argv)
    with c.workspace(args, "bench-import-ratio") as root:
        source = root / "items.jsonl"
        c.write_items(source, args.n, seed=args.seed)
        c.django_setup()
        rows = floor_rows(source)
        times: dict[str, list[float]] = {"floor": [], "service": [], "api": [], "cli": []}
        ls = None
        if args.label_studio_token:
            sys.path.insert(0, str(Path(__file__).resolve().parent / "labelstudio"))
            from lsclient import Client

            # A loaded machine makes Label Studio's 100k import take minutes.
            ls = Client(args.label_studio_url, args.label_studio_token, timeout=1800)
            times["labelstudio"] = []
        loads = [os.getloadavg()[0]]
        for index in range(args.rounds):
            times["floor"].append(time_floor(root, rows, index))
            times["service"].append(time_service(source, args.n))
            times["api"].append(time_api(source, args.n))
            times["cli"].append(time_cli(source, args.n))
            if ls is not None:
                times["labelstudio"].append(time_labelstudio(source, args.n, ls))
            loads.append(os.getloadavg()[0])
        database = c.database_label()
        c.close_db()

    median = {way: statistics.median(t) for way, t in times.items()}
    result = {
        "bench": "import_ratio",
        "n": args.n,
        "database": database,
        "rounds": args.rounds,
        "seconds": {way: [round(s, 3) for s in t] for way, t in times.items()},
        "median_s": {way: round(s, 3) for way, s in median.items()},
        "ratio_to_floor": {
            way: round(s / median["floor"], 2) for way, s in median.items() if way != "floor"
        },
        "load_1min": [round(x, 1) for x in loads],
    }
    if "labelstudio" in median:
        result["labelstudio_over"] = {
            way: round(median["labelstudio"] / median[way], 2) for way in ("service", "api", "cli")
        }
    human = f"import {args.n:,} items, median of {args.rounds} [{database}]: " + ", ".join(
        f"{way} {s:.2f} s" + (f" ({s / median['floor']:.1f}x floor)" if way != "floor" else "")
        for way, s in median.items()
    )
    c.report(result, human)
    return result


if __name__ == "__main__":
    main()
