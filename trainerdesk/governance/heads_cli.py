"""`trainerdesk audit heads [--export FILE] [--format csv|json] [--check FILE] [--org ID]`
(a subcommand governance adds to accounts' `audit`, see accounts/audit_commands.py), and
the heads check `audit verify` runs. Run `audit heads` daily (cron), like the sweeps: it
stores the finished days' heads not stored yet (re-running adds nothing) and writes the
export to keep elsewhere; `--check FILE` compares a kept export with the events now."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from trainerdesk.accounts.audit_commands import Subcommand
from trainerdesk.lib import audit


def add_arguments(parser: Any) -> None:
    parser.description = __doc__
    parser.add_argument(
        "--export", metavar="FILE", help="write every stored head to FILE (- for stdout)"
    )
    parser.add_argument(
        "--format",
        choices=("csv", "json"),
        help="export format (default: from FILE's suffix, else csv)",
    )
    parser.add_argument(
        "--check", metavar="FILE", help="compare the heads in an export FILE with the events now"
    )
    parser.add_argument(
        "--org", type=int, metavar="ID", help="export or check only this organization's chain"
    )


def handle(command: Any, **options: Any) -> None:
    from trainerdesk.governance.services import heads as service

    chains = [audit.chain_key(options["org"])] if options.get("org") is not None else None
    if options.get("check"):
        try:
            given = service.parse_export(Path(options["check"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"--check {options['check']}: {exc}") from None
        if chains is not None:
            given = [h for h in given if h.chain in chains]
        mismatches = service.check_heads(given)
        if mismatches:
            raise CommandError("BROKEN " + "; ".join(str(m) for m in mismatches))
        command.stdout.write(f"OK: {len(given)} heads match the events")
        return
    result = service.record_chain_heads(system="cli:audit heads")
    command.stdout.write(f"Recorded {result.added} new heads ({result.chains} chains)")
    for chain, seq in sorted(result.broken.items()):
        command.stderr.write(
            f"{chain}: event seq {seq} no longer recomputes; no heads stored from there "
            "(run `trainerdesk audit verify`)"
        )
    if options.get("export"):
        target = options["export"]
        fmt = options.get("format") or ("json" if str(target).endswith(".json") else "csv")
        heads = list(service.stored_heads(chains))
        text = service.export_json(heads) if fmt == "json" else service.export_csv(heads)
        if target == "-":
            command.stdout.write(text, ending="")
        else:
            Path(target).write_text(text, encoding="utf-8")
            command.stdout.write(f"Wrote {len(heads)} heads to {target}")
    if result.broken:
        raise CommandError(f"{len(result.broken)} chains no longer recompute")


def verify_check(org_id: int | None) -> list[str]:
    """`audit verify`: the stored heads against the events now (first differing day)."""
    from trainerdesk.governance.services import heads as service

    chains = [audit.chain_key(org_id)] if org_id is not None else None
    return [f"daily heads: {m}" for m in service.check_heads(service.stored_heads(chains))]


SUBCOMMAND = Subcommand(
    "heads", "store, export or check the daily chain heads", add_arguments, handle
)
