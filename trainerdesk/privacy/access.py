"""Who may see privacy pages: staff only (the data-subject requests hold who asked for
what; the retention report names people due for erasure). Everyone else gets 404, never a
hint that the page exists. The public privacy notice needs no check."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404

from trainerdesk.privacy.models import DataSubjectRequest


def require_staff(user: Any) -> None:
    if not (user.is_authenticated and user.is_staff):
        raise Http404("Not found")


def get_request_for_user(user: Any, request_id: int) -> DataSubjectRequest:
    require_staff(user)
    return get_object_or_404(DataSubjectRequest, pk=request_id)
