"""Span annotation on a long document stays responsive (issue 3): a 50 kB text with 250
suggested spans, in headless Debian chromium against `trainerdesk serve`.

Measures (a) page load: from navigation to the token view being ready, over --loads
runs; (b) for each key, the time from its keydown to the frame that shows the result
(two requestAnimationFrame callbacks after the keydown: the first runs before the next
paint, the second after it): accepting all 250 suggestions (`0`), moving the cursor,
extending the selection, labelling it (`p`) and removing the span again (`x`), --rounds
times each, at positions spread over the document.

    .venv/bin/python bench/bench_annotate_ui.py --kb 50 --spans 250 --rounds 40
    .venv/bin/python bench/bench_annotate_ui.py --one-paragraph   # the whole text in one <p>

Nothing is fetched from the network: the browser only talks to the local server.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

from trainerdesk.lib.browser_fixtures import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PASSWORD = "bench-password-not-secret-1"
SCHEMA = {
    "fields": [
        {
            "name": "ents",
            "type": "spans",
            "source": "text",
            "labels": [
                {"value": "PER", "hotkey": "p"},
                {"value": "ORG", "hotkey": "o"},
                {"value": "LOC", "hotkey": "l"},
            ],
        }
    ]
}
# Installed in the page before each measured key: the keydown time, and the time after
# the frame that follows it has been painted.
PROBE = """() => {
  if (window.__probe) return;
  window.__probe = {down: 0, painted: 0};
  window.addEventListener("keydown", () => {
    window.__probe.down = performance.now();
    window.__probe.painted = 0;
    requestAnimationFrame(() => requestAnimationFrame(() => {
      window.__probe.painted = performance.now();
    }));
  }, true);
}"""


def make_text(kb: int, *, one_paragraph: bool, seed: int) -> str:
    rng = random.Random(seed)
    words = c.VOCABULARY
    paragraphs, size, current = [], 0, []
    while size < kb * 1000:
        sentence = " ".join(rng.choices(words, k=12)).capitalize() + "."
        current.append(sentence)
        size += len(sentence) + 1
        if not one_paragraph and len(current) == 40:
            paragraphs.append(" ".join(current))
            current = []
    paragraphs.append(" ".join(current))
    return "\n\n".join(p for p in paragraphs if p)


def make_spans(text: str, n: int, *, seed: int) -> list[dict]:
    """n non-overlapping one- or two-word spans spread evenly over the text."""
    from trainerdesk.workbench import formats

    tokens = formats.tokenize(text)
    step = max(3, len(tokens) // n)
    rng = random.Random(seed)
    spans = []
    for i in range(0, len(tokens) - 2, step):
        start, end = tokens[i][0], tokens[i + rng.randint(0, 1)][1]
        spans.append({"start": start, "end": end, "label": rng.choice(["PER", "ORG", "LOC"])})
        if len(spans) == n:
            break
    return spans


def prepare(args) -> tuple[str, int, int, int]:
    """The owner's username, the project id, the text length and the number of spans."""
    from trainerdesk.accounts import services as accounts
    from trainerdesk.workbench import services
    from trainerdesk.workbench.models import Item, Prediction

    owner = accounts.create_user(
        username=c.unique("owner"), password=PASSWORD, check_password=False
    )
    org = accounts.create_organization(name=c.unique("Bench org"), owner=owner)
    project = services.create_project(
        organization=org, created_by=owner, name="Long documents", label_schema=SCHEMA
    )
    text = make_text(args.kb, one_paragraph=args.one_paragraph, seed=args.seed)
    services.add_items(project=project, items=[{"text": text}], by=project.created_by)
    item = Item.objects.get(project=project)
    spans = make_spans(text, args.spans, seed=args.seed)
    Prediction.objects.create(item=item, model_version="bench", answer={"ents": spans}, score=1)
    return owner.get_username(), project.pk, len(text.encode()), len(spans)


def press_and_time(page, key: str) -> float:
    """Milliseconds from the key's keydown to the end of the frame after it."""
    page.evaluate(PROBE)
    page.keyboard.press(key)
    page.wait_for_function("() => window.__probe.painted > 0", timeout=30_000)
    return page.evaluate("() => window.__probe.painted - window.__probe.down")


def summary(ms: list[float]) -> dict:
    return c.latency_summary([m / 1000 for m in ms])


def main() -> None:
    p = c.parser("Span annotation latency on a long document.", default_n=1)
    p.add_argument("--kb", type=int, default=50, help="text size in kB (default %(default)s)")
    p.add_argument("--spans", type=int, default=250, help="suggested spans (default 250)")
    p.add_argument("--rounds", type=int, default=40, help="labels/removals (default 40)")
    p.add_argument("--loads", type=int, default=5, help="page loads timed (default 5)")
    p.add_argument("--one-paragraph", action="store_true", help="no paragraph breaks")
    args = p.parse_args()

    from playwright.sync_api import sync_playwright

    with c.workspace(args, "annotate-ui") as root:
        c.django_setup()
        username, project_id, text_bytes, n_spans = prepare(args)
        database = c.database_label()
        c.close_db()
        with c.Server(workers=1, threads=4, log_path=root / "server.log") as server:
            server.wait_ready()
            base = f"http://127.0.0.1:{server.port}"
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context().new_page()
                page.set_default_timeout(60_000)
                page.goto(f"{base}/accounts/login/")
                page.fill("input[name=username]", username)
                page.fill("input[name=password]", PASSWORD)
                page.keyboard.press("Enter")
                page.wait_for_selector("text=Log out")

                loads = []
                for _ in range(args.loads):
                    started = time.perf_counter()
                    page.goto(f"{base}/projects/{project_id}/annotate/")
                    page.wait_for_selector(".span-text .tok.cur")
                    loads.append((time.perf_counter() - started) * 1000)
                tokens = page.locator(".span-text .tok").count()

                accept = press_and_time(page, "0")
                page.wait_for_function(
                    f"() => document.querySelectorAll('.span-list li').length >= {n_spans}"
                )
                moves, extends, labels, removes = [], [], [], []
                stride = max(1, tokens // (args.rounds + 1))
                for _ in range(args.rounds):
                    # Walk on to a stretch with no span (the spans are spread evenly).
                    for _ in range(stride // 8):
                        page.keyboard.press("ArrowRight")
                    moves.append(press_and_time(page, "ArrowRight"))
                    page.keyboard.press("Escape")
                    while page.locator(".span-text .tok.cur.in").count():
                        page.keyboard.press("ArrowRight")
                    extends.append(press_and_time(page, "Shift+ArrowRight"))
                    if page.locator(".span-text .tok.sel.in").count():
                        page.keyboard.press("Escape")
                        continue  # the extension reached a span: labelling would refuse
                    labels.append(press_and_time(page, "p"))
                    removes.append(press_and_time(page, "x"))
                browser.close()

    result = {
        "bench": "annotate_ui_spans",
        "machine": c.machine(),
        "database": database,
        "text_bytes": text_bytes,
        "one_paragraph": args.one_paragraph,
        "tokens": tokens,
        "suggested_spans": n_spans,
        "page_load_ms": {
            "runs": [round(x, 1) for x in loads],
            "median": round(statistics.median(loads), 1),
        },
        "accept_all_ms": round(accept, 1),
        "move": summary(moves),
        "extend": summary(extends),
        "label": summary(labels),
        "remove": summary(removes),
    }
    c.report(
        result,
        f"{text_bytes / 1000:.0f} kB, {tokens} tokens, {n_spans} spans: page load median "
        f"{result['page_load_ms']['median']} ms; accept all {accept:.0f} ms; key to screen p95 "
        f"move {result['move'].get('p95_ms')} / extend {result['extend'].get('p95_ms')} / "
        f"label {result['label'].get('p95_ms')} / remove {result['remove'].get('p95_ms')} ms",
    )


if __name__ == "__main__":
    main()
