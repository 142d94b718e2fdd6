"""`trainerdesk audit verify [--org ID]`: recompute the audit log's hash chains.

Prints one line per chain with its event count and exits 0 when every chain verifies;
names the first broken event (id, seq, organization, what differs) and exits 1 on a
break.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from trainerdesk.accounts import audit_commands
from trainerdesk.accounts.models import AuditChain, Organization
from trainerdesk.lib import audit


class Command(BaseCommand):
    help = "The audit log: `verify` recomputes every hash chain and names the first break."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        verify = sub.add_parser("verify", help="recompute the hash chains", description=__doc__)
        verify.add_argument("--org", type=int, metavar="ID", help="only this organization")
        # Subcommands other apps add (audit_commands.py), e.g. governance's `heads`.
        for extra in audit_commands.SUBCOMMANDS.values():
            extra.add_arguments(sub.add_parser(extra.name, help=extra.help))

    def handle(self, *args, subcommand: str, **options):
        if subcommand in audit_commands.SUBCOMMANDS:
            audit_commands.SUBCOMMANDS[subcommand].handle(self, **options)
            return
        org_id = options.get("org")
        keys = audit.chains(org_id)
        names = dict(Organization.objects.values_list("pk", "name"))
        # A deleted organization keeps its chain; only an id never used is an error.
        unknown = org_id is not None and org_id not in names
        if unknown and not AuditChain.objects.filter(key__in=keys).exists():
            raise CommandError(f"--org {org_id}: no such organization and no audit chain")
        total = 0
        for key in keys:
            report = audit.verify(key)
            label = key
            if report.organization_id is not None:
                label += f" ({names.get(report.organization_id, 'deleted organization')})"
            if report.broken is not None:
                b = report.broken
                where = f"event id={b.event_id} seq={b.seq}" if b.event_id else f"seq={b.seq}"
                raise CommandError(
                    f"BROKEN {label}: {where} org={b.organization_id}: {b.problem} "
                    f"({report.events} events before it verified)"
                )
            total += report.events
            self.stdout.write(f"OK {label}: {report.events} events")
        problems = [p for check in audit_commands.VERIFY_CHECKS for p in check(org_id)]
        if problems:
            raise CommandError("BROKEN " + "; ".join(problems))
        self.stdout.write(self.style.SUCCESS(f"OK: {total} events in {len(keys)} chains verified"))
