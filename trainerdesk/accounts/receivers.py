"""Django's sign-in signals, handed straight to the services that record them.

Signals carry no logic here (the project's rule): each receiver is one call. They are
the one hook that sees every sign-in, whatever view or backend (django-axes included)
performed it.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from trainerdesk.accounts import services


@receiver(user_logged_in, dispatch_uid="audit_login")
def _logged_in(sender, request, user, **kwargs):
    services.record_login(user=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    services.record_login_failed(username=credentials.get("username"), request=request)
