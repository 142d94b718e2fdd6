"""Subcommands and checks other apps add to `trainerdesk audit` (accounts owns the
command, but the daily chain heads are stored by governance, above it in the layers).

An app registers from its AppConfig.ready(): `register_subcommand(name, help, add_arguments,
handle)` adds `trainerdesk audit NAME`; `register_verify_check(fn)` makes `audit verify`
also run `fn(org_id) -> list[str]` after the chains verify (each string a problem found;
any makes verify fail).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Subcommand:
    name: str
    help: str
    add_arguments: Callable[[Any], None]
    handle: Callable[..., None]  # handle(command, **options)


SUBCOMMANDS: dict[str, Subcommand] = {}
VERIFY_CHECKS: list[Callable[[int | None], list[str]]] = []


def register_subcommand(sub: Subcommand) -> None:
    SUBCOMMANDS[sub.name] = sub


def register_verify_check(check: Callable[[int | None], list[str]]) -> None:
    if check not in VERIFY_CHECKS:
        VERIFY_CHECKS.append(check)
