"""`trainerdesk createuser USERNAME`: create a user, optionally inside an organization.

The password comes from --password, else the TRAINERDESK_PASSWORD environment variable
(for scripts, keeps it out of the process list), else a prompt.
"""

from __future__ import annotations

import getpass
import os
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from trainerdesk.accounts import services
from trainerdesk.accounts.models import Membership, Organization


class Command(BaseCommand):
    help = "Create a user; with --org, add them to an organization (created if missing)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password",
            help="the password (safer: set TRAINERDESK_PASSWORD, or type it at the prompt)",
        )
        parser.add_argument(
            "--org",
            help="organization name; a missing one is created with this user as its owner",
        )
        parser.add_argument(
            "--role",
            choices=Membership.Role.values,
            help="role in --org (default: member; owner when the organization is new)",
        )

    def _password(self, given: str | None) -> str:
        if given:
            return given
        if os.environ.get("TRAINERDESK_PASSWORD"):
            return os.environ["TRAINERDESK_PASSWORD"]
        if not sys.stdin.isatty():
            raise CommandError(
                "password: give --password, set TRAINERDESK_PASSWORD, or run in a terminal"
            )
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("password: the two passwords differ")
        return first

    def handle(self, *args, username: str, email: str, org: str | None, role: str | None, **opts):
        if role and not org:
            raise CommandError("--role needs --org")
        password = self._password(opts["password"])
        # The first command on a new machine may be this one, before any migrate.
        call_command("migrate", interactive=False, verbosity=0)
        with transaction.atomic():
            try:
                user = services.create_user(username=username, password=password, email=email)
            except services.AccountError as exc:
                raise CommandError(str(exc)) from None
            message = f"Created user {username}"
            if org:
                organization = Organization.objects.filter(name=org).order_by("id").first()
                if organization is None:
                    if role not in (None, Membership.Role.OWNER):
                        raise CommandError(
                            f"--org {org!r} does not exist; create it by giving its first "
                            "user --role owner"
                        )
                    organization = services.create_organization(name=org, owner=user)
                    message += f", owner of the new organization {org}"
                else:
                    role = role or Membership.Role.MEMBER
                    services.add_member(organization=organization, user=user, role=role)
                    message += f", {role} of {org}"
        self.stdout.write(self.style.SUCCESS(message))
