"""Request types for annotations only: what the auth layers promise about a request, so the
type checker knows `request.user` (and the API's `request.auth`) is a signed-in User.

django-stubs' documented pattern: a subclass of HttpRequest that is never instantiated;
Django still passes its own HttpRequest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:  # the auth models need the app registry; annotations don't
    from django.contrib.auth.models import User


class AuthenticatedRequest(HttpRequest):
    """A view behind @login_required: never an AnonymousUser."""

    user: User


class ApiRequest(AuthenticatedRequest):
    """An API operation under the API's auth (trainerdesk.api): `auth` is the user the
    token or session belongs to, and `user` is set to the same user."""

    auth: User
