"""Hostile import files, each imported by a real worker-like process under a memory cap.

Each file is imported through services.import_stream (what the worker runs) in a child
process whose address space is capped (RLIMIT_AS), so a reader that grows with the file
fails here instead of taking a machine down; the child also reports its peak RSS, which
must stay within a fixed allowance over an import of a tiny file.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from trainerdesk.workbench.tests.test_cli import ROOT, cli, cli_env

# Address-space cap for the importing process: Django and the import fit with room.
MEMORY_CAP = 1536 * 1024 * 1024
# Peak RSS an import may add over the import of a tiny file (batches of rows, one task
# of up to twice the item limit, the first 1,000 errors).
ALLOWANCE_MB = 120

CHILD = r"""
import os, resource, sys
import django
django.setup()
import orjson
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Project
from trainerdesk.workbench.formats import detect_format

path = sys.argv[1]
project = Project.objects.get(name="Hostile")
with open(path, "rb") as fp:
    try:
        result = services.import_stream(project=project, fp=fp, fmt=detect_format(path))
        # getattr: so this file also runs against the code before error_count existed.
        count = getattr(result, "error_count", len(result.errors))
        outcome = {"added": result.added, "error_count": count,
                   "errors": [[e.line, e.message] for e in result.errors[:3]],
                   "kept": len(result.errors)}
    except services.formats.FormatError as exc:
        outcome = {"format_error": str(exc)}
outcome["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
sys.stdout.write(orjson.dumps(outcome).decode())
"""


def _cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    assert cli(root, "migrate", "-v0").returncode == 0
    made = cli(
        root,
        "shell",
        "-c",
        "from trainerdesk.accounts.services import create_user, create_organization;"
        "from trainerdesk.workbench.services import create_project;"
        "u = create_user(username='o', password='a-long-enough-password-1');"
        "org = create_organization(name='O', owner=u);"
        "create_project(organization=org, created_by=u, name='Hostile', label_schema="
        "{'fields': [{'name': 'topic', 'type': 'choice', 'source': 'text', "
        "'labels': [{'value': 'a'}, {'value': 'b'}]}]})",
    )
    assert made.returncode == 0, made.stderr
    return root


def import_capped(data_dir: Path, path: Path) -> dict:
    env = {**cli_env(data_dir), "DJANGO_SETTINGS_MODULE": "trainerdesk.settings"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_cap_memory,
    )
    assert done.returncode == 0, f"the import died under the memory cap:\n{done.stderr[-3000:]}"
    return orjson.loads(done.stdout)


@pytest.fixture(scope="module")
def baseline_mb(data_dir, tmp_path_factory):
    tiny = tmp_path_factory.mktemp("tiny") / "tiny.jsonl"
    tiny.write_bytes(b'{"text": "one small item"}\n')
    return import_capped(data_dir, tiny)["peak_mb"]


def within_allowance(outcome: dict, baseline_mb: float) -> bool:
    return outcome["peak_mb"] - baseline_mb < ALLOWANCE_MB


def test_label_studio_task_nested_100000_deep(data_dir, baseline_mb, tmp_path):
    # 200 kB; ijson needed 22 GB for it (memory grows with the square of the depth).
    path = tmp_path / "deep.json"
    path.write_bytes(
        b'[{"data": {"text": "fine"}},\n{"data": {"text": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b'}},\n{"data": {"text": "also fine"}}]'
    )
    outcome = import_capped(data_dir, path)
    assert within_allowance(outcome, baseline_mb), outcome
    assert outcome["added"] == 2
    assert outcome["errors"] == [[2, "task 2 (line 2): nested more than 64 levels deep"]]


def test_label_studio_file_that_ends_100000_deep(data_dir, baseline_mb, tmp_path):
    path = tmp_path / "unclosed.json"
    path.write_bytes(b'[{"data": {"text": ' + b"[" * 100_000)
    outcome = import_capped(data_dir, path)
    assert within_allowance(outcome, baseline_mb), outcome
    assert "the file ended at line 1, 100003 level(s) deep (task 1)" in outcome["format_error"]


def test_jsonl_line_nested_100000_deep(data_dir, baseline_mb, tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_bytes(b'{"text": "ok deep"}\n{"text": ' + b"[" * 100_000 + b"\n")
    outcome = import_capped(data_dir, path)
    assert within_allowance(outcome, baseline_mb), outcome
    assert (outcome["added"], outcome["error_count"]) == (1, 1)


@pytest.mark.parametrize(
    ("name", "content", "rows"),
    [
        # 1,000,000 lines of "1": each a row error; all of them used to be kept.
        ("ones.jsonl", b"1\n" * 1_000_000, 1_000_000),
        # Label Studio's form of the same: [1,1,...,1].
        ("ones.json", b"[" + b"1," * 999_999 + b"1]", 1_000_000),
    ],
)
def test_a_million_bad_rows_keep_counts_and_the_first_errors(
    data_dir, baseline_mb, tmp_path, name, content, rows
):
    path = tmp_path / name
    path.write_bytes(content)
    outcome = import_capped(data_dir, path)
    assert within_allowance(outcome, baseline_mb), outcome
    assert (outcome["added"], outcome["error_count"], outcome["kept"]) == (0, rows, 1000)
    assert outcome["errors"][0][0] == 1


def test_one_huge_task_is_refused_without_being_built(data_dir, baseline_mb, tmp_path):
    # 100 MB in one task against the default 1 MB item limit; it used to cost ~4x its size.
    path = tmp_path / "huge.json"
    with path.open("wb") as fp:
        fp.write(b'[{"data": {"text": "')
        block = b"x" * (1 << 20)
        for _ in range(100):
            fp.write(block)
        fp.write(b'"}},\n{"data": {"text": "small"}}]')
    outcome = import_capped(data_dir, path)
    assert within_allowance(outcome, baseline_mb), outcome
    assert outcome["added"] == 1
    assert outcome["errors"][0][1].startswith("task 1 (line 1): item is 104,857,622 bytes")
    os.unlink(path)
