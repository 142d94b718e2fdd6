"""Peak memory of importing hostile files, each in a child process under an address cap.

Files: a Label Studio task nested `[` 100,000 deep (200 kB); 10 MB of JSONL lines `1`
(5M bad rows); the Label Studio form `[1,1,...]` (10 MB); one 100 MB Label Studio task.
Each is imported by a fresh child running services.import_stream (what the worker runs)
with RLIMIT_AS = --cap-mb; the child prints its ru_maxrss. A one-line file gives the
baseline. Pass another checkout with --tree to compare (it must have a .venv).

    .venv/bin/python bench/bench_hostile_import.py [--tree /path/to/old/checkout]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SCHEMA = (
    "{'fields': [{'name': 'topic', 'type': 'choice', 'source': 'text', "
    "'labels': [{'value': 'a'}, {'value': 'b'}]}]}"
)
SETUP = (
    "from trainerdesk.accounts.services import create_user, create_organization;"
    "from trainerdesk.workbench.services import create_project;"
    "u = create_user(username='o', password='a-long-enough-password-1');"
    "org = create_organization(name='O', owner=u);"
    f"create_project(organization=org, created_by=u, name='Hostile', label_schema={SCHEMA})"
)
CHILD = r"""
import resource, sys, time
import django; django.setup()
from trainerdesk.workbench import services, formats
from trainerdesk.workbench.models import Project
project = Project.objects.get(name="Hostile")
started = time.perf_counter()
with open(sys.argv[1], "rb") as fp:
    try:
        res = services.import_stream(project=project, fp=fp, fmt=formats.detect_format(sys.argv[1]))
        out = f"added={res.added} errors={getattr(res, 'error_count', len(res.errors))}"
    except formats.FormatError as e:
        out = f"refused: {e}"[:90]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{out}; peak RSS {peak:.0f} MB; {time.perf_counter() - started:.1f} s")
"""
FILES = {
    "tiny.jsonl": lambda: b'{"text": "x"}\n',
    "deep.json": lambda: b'[{"data": {"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}]",
    "ones.jsonl": lambda: b"1\n" * 5_000_000,
    "ones.json": lambda: b"[" + b"1," * 4_999_999 + b"1]",
    "huge.json": lambda: b'[{"data": {"text": "' + b"x" * (100 << 20) + b'"}}]',
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=REPO, help="checkout to measure")
    parser.add_argument("--cap-mb", type=int, default=3072, help="RLIMIT_AS of each child")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    env = {
        **os.environ,
        "TRAINERDESK_DATA_DIR": str(root / "data"),
        "TRAINERDESK_TASKS_BACKEND": "database",
        "DJANGO_SETTINGS_MODULE": "trainerdesk.settings",
    }
    env.pop("DATABASE_URL", None)
    python = str(args.tree / ".venv/bin/python")

    def run(*argv, **kwargs):
        return subprocess.run(
            [python, *argv], cwd=args.tree, env=env, capture_output=True, text=True, **kwargs
        )

    assert run("-m", "trainerdesk", "migrate", "-v0").returncode == 0
    assert run("-m", "trainerdesk", "shell", "-c", SETUP).returncode == 0

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (args.cap_mb << 20, args.cap_mb << 20))

    for name, make in FILES.items():
        path = root / name
        path.write_bytes(make())
        done = run("-c", CHILD, str(path), preexec_fn=cap, timeout=900)
        last = (done.stderr.strip().splitlines() or [""])[-1][:100]
        print(f"{name:12} {done.stdout.strip() or f'died (exit {done.returncode}): {last}'}")
        path.unlink()
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
