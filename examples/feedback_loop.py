"""The feedback loop on the BBC News demo, through the API only:

    label -> train -> evaluate -> disagreement queue -> relabel -> retrain -> compare

SIMULATION. The "human" answers in this script come from the demo items' hidden
reference labels: a simulated annotator reads them through the manager's export (the
product never shows them to annotators) and, on its first pass, answers wrongly on a
seeded share of items, so the disagreement queue has real mistakes to send back. Nothing
in TrainerDesk itself simulates anything; only this script does.

    trainerdesk demo            # the demo organisation, users and projects
    trainerdesk serve & trainerdesk worker &
    # API tokens (Account page -> API tokens): one for "manager", one for "annotator1"
    TRAINERDESK_URL=http://127.0.0.1:8000 TRAINERDESK_MANAGER_TOKEN=... \
    TRAINERDESK_ANNOTATOR_TOKEN=... python examples/feedback_loop.py --project <BBC id>

`run_loop` takes any two HTTP clients with get/post/put(path, json) returning
(status, json), so the test suite runs the same loop on a small fixture.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

API = "/api/v1"


class HttpClient:
    """A minimal JSON client over urllib (the script needs no third-party package)."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base.rstrip("/"), token

    def _call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        text = raw.decode()
        if path.split("?")[0].endswith("/export"):
            return status, [json.loads(line) for line in text.splitlines() if line.strip()]
        return status, json.loads(text) if text else None

    def get(self, path: str) -> tuple[int, Any]:
        return self._call("GET", path)

    def post(self, path: str, body: Any = None) -> tuple[int, Any]:
        return self._call("POST", path, {} if body is None else body)

    def put(self, path: str, body: Any) -> tuple[int, Any]:
        return self._call("PUT", path, body)


def _ok(result: tuple[int, Any], *expected: int) -> Any:
    status, body = result
    if status not in (expected or (200, 201, 202)):
        raise SystemExit(f"API answered {status}: {body}")
    return body


def _wait(client, path: str, wait: Callable[[], None]) -> dict:
    while True:
        got = _ok(client.get(path))
        if got["status"] in ("done", "failed"):
            if got["status"] == "failed":
                raise SystemExit(f"{path} failed: {got['message']}")
            return got
        wait()


class SimulatedAnnotator:
    """SIMULATION: answers with the hidden reference label; on a first answer to an item,
    wrong with probability `error_rate` (seeded), as a hurried person might be."""

    def __init__(
        self,
        client,
        project_id: int,
        truth: dict[int, str],
        labels: list[str],
        *,
        field: str,
        error_rate: float,
        seed: int,
    ) -> None:
        self.client, self.project_id, self.truth, self.labels = client, project_id, truth, labels
        self.field, self.error_rate = field, error_rate
        self.rng = random.Random(seed)
        self.answered: set[int] = set()

    def label(self, count: int) -> int:
        done = 0
        while done < count:
            got = _ok(self.client.get(f"{API}/projects/{self.project_id}/next"))
            item = got["item"]
            if item is None:
                break
            pk = item["id"]
            if pk not in self.truth:  # no hidden label to answer with: skip it
                _ok(
                    self.client.post(
                        f"{API}/projects/{self.project_id}/annotations",
                        {"item": pk, "skipped": True},
                    )
                )
                continue
            answer = self.truth[pk]
            if pk not in self.answered and self.rng.random() < self.error_rate:
                answer = self.rng.choice([x for x in self.labels if x != answer])
            self.answered.add(pk)
            _ok(
                self.client.post(
                    f"{API}/projects/{self.project_id}/annotations",
                    {"item": pk, "answer": {self.field: answer}},
                )
            )
            done += 1
        return done


def run_loop(
    manager,
    annotator,
    project_id: int,
    *,
    first_round: int = 400,
    second_round: int = 200,
    error_rate: float = 0.15,
    seed: int = 0,
    say: Callable[[str], None] = print,
    wait: Callable[[], None] = lambda: time.sleep(0.5),
) -> dict:
    base = f"{API}/projects/{project_id}/evaluation"
    project = _ok(manager.get(f"{API}/projects/{project_id}"))
    field = next(f for f in project["label_schema"]["fields"] if f["type"] == "choice")
    labels = [x if isinstance(x, str) else x["value"] for x in field["labels"]]
    # The hidden references, read by the manager (annotators never see them).
    records = _ok(manager.get(f"{API}/projects/{project_id}/export?format=jsonl"))
    truth = {r["id"]: (r.get("reference") or {}).get(field["name"]) for r in records}
    truth = {pk: v for pk, v in truth.items() if v in labels}
    person = SimulatedAnnotator(
        annotator, project_id, truth, labels, field=field["name"], error_rate=error_rate, seed=seed
    )

    status, _ = manager.post(f"{base}/split", {"fraction": 0.2, "seed": seed})
    if status not in (201, 409):
        raise SystemExit(f"could not draw the evaluation split: {status}")
    say(f"1. label: {person.label(first_round)} items answered (simulated annotator)")

    def train_and_evaluate(name: str) -> dict:
        training = _ok(manager.post(f"{base}/train", {"name": name, "seed": seed}))
        training = _wait(manager, f"{base}/train/{training['id']}", wait)
        run = _ok(manager.post(f"{base}/runs", {"version": training["version"], "seed": seed}))
        run = _wait(manager, f"{base}/runs/{run['id']}", wait)
        _ok(manager.post(f"{base}/iterations", {"run": run["id"], "name": name}))
        e = run["metrics"]["intervals"]["error_rate"]
        say(
            f"   {name}: error rate {e['value']:.3f} ({e['low']:.3f}-{e['high']:.3f}) "
            f"on {run['items_evaluated']} held-out items"
        )
        return {"training": training, "run": run}

    say("2. train + 3. evaluate")
    first = train_and_evaluate(f"loop-{seed}-1")
    status, batch = manager.post(
        f"{base}/disagreement-queue",
        {"version": first["training"]["version"], "kind": "relabel"},
    )
    if status == 400 and "agrees with people" in str(batch):
        batch = {"id": None, "items": 0}  # nothing to send back this time
    elif status != 201:
        raise SystemExit(f"API answered {status}: {batch}")
    say(f"4. disagreement queue: {batch['items']} items sent to relabel")
    _ok(
        manager.put(
            f"{base}/active-learning",
            {
                "strategy": "least_confidence",
                "random_share": 0.1,
                "version": first["training"]["version"],
                "seed": seed,
            },
        )
    )
    reorder = _ok(manager.post(f"{base}/active-learning/reorder"))
    reorder = _wait(manager, f"{base}/active-learning/reorder/{reorder['id']}", wait)
    say(f"   queue re-ordered by uncertainty: {reorder['items_ordered']} items")
    relabelled = person.label(batch["items"] + second_round)
    say(f"5. relabel: {relabelled} answers (the sent-back items first, then new ones)")
    say("6. retrain + evaluate")
    second = train_and_evaluate(f"loop-{seed}-2")
    query = f"run={first['run']['id']}&run={second['run']['id']}"
    comparison = _ok(manager.get(f"{base}/comparison?{query}"))
    say("7. compare:")
    for row in comparison["metrics"]:
        cells = " | ".join("—" if c["value"] is None else f"{c['value']:.3f}" for c in row["cells"])
        flag = " (regression)" if row["regression"] else ""
        say(f"   {row['label']}: {cells}{flag}")
    for note in comparison["notes"]:
        say(f"   note: {note}")
    change = _ok(manager.get(f"{base}/iterations"))[-1]["change"]
    say(
        f"   paired on {change.get('items', 0)} items, today's references: error rate "
        f"{change['before']:.3f} -> {change['after']:.3f}, difference "
        f"{change['difference']:+.3f} ({change['low']:+.3f} to {change['high']:+.3f}); "
        f"{'beyond' if change['beyond_noise'] else 'within'} the noise"
        if change.get("paired")
        else f"   not paired: {change.get('computed_on')}"
    )
    return {"first": first, "second": second, "batch": batch, "comparison": comparison}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=int, required=True, help="The BBC News project id")
    parser.add_argument("--first-round", type=int, default=400)
    parser.add_argument("--second-round", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    url = os.environ.get("TRAINERDESK_URL", "http://127.0.0.1:8000")
    try:
        manager = HttpClient(url, os.environ["TRAINERDESK_MANAGER_TOKEN"])
        annotator = HttpClient(url, os.environ["TRAINERDESK_ANNOTATOR_TOKEN"])
    except KeyError as exc:
        sys.exit(f"set {exc.args[0]} (an API token; see the docstring)")
    run_loop(
        manager,
        annotator,
        args.project,
        first_round=args.first_round,
        second_round=args.second_round,
        seed=args.seed,
    )


if __name__ == "__main__":
    main()
