"""The `trainerdesk` command: Django's management commands under one name.

`trainerdesk serve`, `trainerdesk demo`, `trainerdesk migrate`, `trainerdesk shell` ... all
run through Django with the TrainerDesk settings, so there is no manage.py to find.
"""

from __future__ import annotations

import os
import sys

HELP = """\
TrainerDesk - self-hosted platform for AI trainers.

Usage: trainerdesk COMMAND [options]     (trainerdesk COMMAND --help for its options)

Main commands:
  serve        run the web server and a background worker (migrates first)
  worker       run only a background worker (imports and other queued tasks)
  demo         load the demo organization, users and projects (idempotent)
  import       import a file of items into a project
  export       export a project's items and annotations
  createuser   create a user, optionally in an organization
  version      create, list, diff and export dataset versions (version create P --name v3)
  audit verify recompute the audit log's hash chains, naming the first broken event
  migrate      create or update the database tables

Any Django management command works too (trainerdesk help lists them all).
"""


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trainerdesk.settings")
    if not args or args[0] in {"-h", "--help"}:
        sys.stdout.write(HELP)
        return
    from django.core.management import execute_from_command_line

    from trainerdesk.lib import audit

    # Writes a command makes without naming a user are the command's (audit log).
    audit.set_default_actor(f"cli:{args[0]}")
    if args[0] == "version":
        # Django answers `version` itself (its own version number) before looking up any
        # command, so `trainerdesk version ...` (dataset versions) runs under another name.
        args = ["dataset_version", *args[1:]]
    try:
        execute_from_command_line(["trainerdesk", *args])
    except BrokenPipeError:
        # `trainerdesk export P | head`: the reader left; stop quietly like other tools.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    main()
