"""The JSON API under /api/v1/: token or session auth, JSON errors that name the problem."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import APIKeyHeader, HttpBearer, django_auth

from trainerdesk.accounts.services import AccountError, user_for_token
from trainerdesk.lib import jsonlimits
from trainerdesk.workbench.services import ConflictError, InvalidInput


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class TokenHeaderAuth(APIKeyHeader):
    """Also accept Label Studio's style, `Authorization: Token <key>`."""

    param_name = "Authorization"

    def authenticate(self, request: HttpRequest, key: str | None):
        if not key or not key.startswith("Token "):
            return None
        user = user_for_token(key.removeprefix("Token ").strip())
        if user is not None:
            request.user = user
        return user


class BodyTooDeep(ValueError):
    pass


class BoundedJsonParser(Parser):
    """JSON bodies with bounded nesting: data deeper than lib/jsonlimits.MAX_DEPTH parses
    but then fails where it is hashed or stored (orjson writes at most 254 levels), and
    Python's json gives up with RecursionError; refuse it by position before parsing."""

    def parse_body(self, request: HttpRequest):
        if (at := jsonlimits.deep_at(request.body)) is not None:
            raise BodyTooDeep(
                f"request body: nested more than {jsonlimits.MAX_DEPTH} levels deep "
                f"at byte {at + 1}"
            )
        return super().parse_body(request)


api = NinjaAPI(
    title="TrainerDesk API",
    version="1",
    description="Projects, items, imports, the annotation queue and exports. "
    "Authenticate with `Authorization: Bearer td_…` (create a token under Account → API tokens).",
    auth=[TokenAuth(), TokenHeaderAuth(), django_auth],
    urls_namespace="api",
    parser=BoundedJsonParser(),
)


def _error(request, message: str, status: int, **extra):
    return api.create_response(request, {"message": message, **extra}, status=status)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    problems = []
    for error in exc.errors:
        loc = tuple(error.get("loc", ()))
        # Drop only the leading "body" (where ninja puts a JSON body), not a field so named.
        where = ".".join(str(part) for part in (loc[1:] if loc[:1] == ("body",) else loc))
        problems.append(f"{where}: {error.get('msg', 'invalid')}" if where else error.get("msg"))
    return _error(request, "; ".join(problems) or "invalid request", 422, errors=problems)


@api.exception_handler(InvalidInput)
def invalid_input(request, exc: InvalidInput):
    return _error(request, str(exc), 400, errors=exc.errors)


@api.exception_handler(AccountError)
def account_error(request, exc: AccountError):
    return _error(request, str(exc), 400, errors=[str(exc)])


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc: RequestDataTooBig):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1048576
    return _error(
        request,
        f"Request body over the {limit:g} MB limit: send fewer items per call, or upload "
        "a file to /api/v1/projects/{id}/imports",
        413,
    )


@api.exception_handler(ConflictError)
def conflict(request, exc: ConflictError):
    return _error(request, str(exc), 409)


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    return _error(request, str(exc) or "Not found", 404)


@api.exception_handler(AuthenticationError)
def unauthorized(request, exc: AuthenticationError):
    return _error(request, "Authentication required: send `Authorization: Bearer <token>`", 401)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    # ninja reports any parser exception as "Cannot parse request body"; say which.
    if isinstance(exc.__cause__, BodyTooDeep):
        return _error(request, str(exc.__cause__), 400)
    return _error(request, str(exc), exc.status_code)


api.add_router("/", "trainerdesk.accounts.api.router")
api.add_router("/", "trainerdesk.workbench.api.router")
api.add_router("/", "trainerdesk.workbench.api_collab.router")
api.add_router("/", "trainerdesk.quality.api.router")
