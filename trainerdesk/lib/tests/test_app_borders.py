"""No private name crosses an app border (the layers themselves are import-linter's job,
see [tool.importlinter] in pyproject.toml). A name one app needs from another is made
public in the module that owns it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the trainerdesk package
APPS = ("lib", "accounts", "workbench", "quality")
# Django's own underscore API on models, not the project's private names.
DJANGO_PUBLIC = {"_meta", "_default_manager", "_base_manager", "_state"}


def _app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "trainerdesk" and parts[1] in APPS else None


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in DJANGO_PUBLIC


def crossings(path: Path, own: str | None = None) -> list[str]:
    own = own or path.relative_to(ROOT).parts[0]
    tree = ast.parse(path.read_text(), str(path))
    foreign: set[str] = set()  # local names bound to something from another app
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            app = _app_of(node.module)
            if app and app != own:
                for alias in node.names:
                    if _private(alias.name):
                        found.append(f"{path.name}:{node.lineno} imports {alias.name}")
                    foreign.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                app = _app_of(alias.name)
                if app and app != own and alias.asname:
                    foreign.add(alias.asname)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in foreign
            and _private(node.attr)
        ):
            found.append(f"{path.name}:{node.lineno} uses {node.value.id}.{node.attr}")
    return found


def test_no_private_name_crosses_an_app_border():
    files = [p for app in APPS for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]
    assert files
    problems = [c for p in files for c in crossings(p)]
    assert problems == []


def test_the_check_sees_a_crossing(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from trainerdesk.workbench.access import _key\n"
        "from trainerdesk.workbench import services as wb\n"
        "wb._json(1)\n"
    )
    assert len(crossings(probe, own="quality")) == 2
