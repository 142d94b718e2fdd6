"""The JSON API under /api/v1/: token or session auth, JSON errors that name the problem."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.params.models import BodyModel, FileModel, FormModel, PathModel, QueryModel
from ninja.parser import Parser
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from trainerdesk.accounts.services import AccountError, user_for_token
from trainerdesk.lib import jsonlimits
from trainerdesk.lib.api_schemas import ErrorOut
from trainerdesk.lib.gcpause import gc_paused
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


class SessionCookieAuth(SessionAuth):
    """Django's session, with the CSRF check only for a request that has a session: one
    without any credentials gets the 401 that GET gets, not "CSRF check Failed"."""

    def _get_key(self, request: HttpRequest):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


class _CachedSchemaAPI(NinjaAPI):
    """The OpenAPI document only changes with the code, so it is built once per process
    (building it walks every operation's schemas: ~80 ms a request, for every docs view)."""

    _schemas: dict

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        key = (path_prefix, tuple(sorted((path_params or {}).items())))
        cache = self.__dict__.setdefault("_schemas", {})
        if key not in cache:
            cache[key] = super().get_openapi_schema(
                path_prefix=path_prefix, path_params=path_params
            )
        return cache[key]


class _Docs(Swagger):
    """Swagger UI from templates/ninja/swagger.html and ninja's static files, served here.
    ninja renders its own template only when it is an installed app, and otherwise a page
    loading Swagger UI from a CDN (refused by our CSP); as an app it would be imported by
    every process, the task worker included (settings.INSTALLED_APPS)."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        auths = api.auth if isinstance(api.auth, list | tuple) else ()
        context = {
            "swagger_settings": json.dumps(self.settings, indent=1),
            "api": api,
            "add_csrf": any(getattr(auth, "csrf", False) for auth in auths),
        }
        return render(request, self.template, context)


class BodyTooDeep(ValueError):
    pass


class BodyNotJSON(ValueError):
    """NaN, Infinity and -Infinity: Python's json reads them, JSON has no such values, and
    orjson writes them back as null, so an item `{"x": Infinity}` was stored as
    `{"x": null}` without a word."""


def _no_constant(name: str) -> None:
    raise BodyNotJSON(f"request body: {name} is not a JSON value (send a number, a string or null)")


class BoundedJsonParser(Parser):
    """JSON bodies with bounded nesting: data deeper than lib/jsonlimits.MAX_DEPTH parses
    but then fails where it is hashed or stored (orjson writes at most 254 levels), and
    Python's json gives up with RecursionError; refuse it by position.

    Parsed first, checked after: a body that parsed is valid JSON, for which the bulk
    check `within_depth` answers as deep_at does at half its cost (a tenth of an API
    import's Python time went to deep_at); deep_at itself still names the position, and
    still decides for a body that does not parse, so a deep body is refused for its depth
    whatever else is wrong with it, as before."""

    def parse_body(self, request: HttpRequest):
        body = request.body
        try:
            # A list of 10,000 items is as many new dicts: without the collector pausing,
            # its collections while they are built swept the whole heap (0.2 s of an API
            # import of 100k items). Parsed JSON holds no cycles; reference counting frees it.
            with gc_paused():
                data = json.loads(body, parse_constant=_no_constant)
        except BodyNotJSON:
            raise
        except (ValueError, RecursionError):
            self._refuse_deep(body)
            raise
        if not jsonlimits.within_depth(body):
            self._refuse_deep(body)
        return data

    @staticmethod
    def _refuse_deep(body: bytes) -> None:
        if (at := jsonlimits.deep_at(body)) is not None:
            raise BodyTooDeep(
                f"request body: nested more than {jsonlimits.MAX_DEPTH} levels deep "
                f"at byte {at + 1}"
            )


api = _CachedSchemaAPI(
    title="TrainerDesk API",
    version="1",
    description="Projects, items, imports, the annotation queue and exports. "
    "Authenticate with `Authorization: Bearer td_…`: create a token on the **API tokens** "
    "page (the *API tokens* link in the top bar of the web app, `/accounts/tokens/`). "
    "Request bodies are JSON objects with values of the documented types (`0` is not `false`, "
    '`"2"` is not `2`). Every error is `{"message": …, "errors": [...]}` naming the field.',
    auth=[TokenAuth(), TokenHeaderAuth(), SessionCookieAuth()],
    urls_namespace="api",
    # Operations start collapsed: Swagger UI rendering all 61 expanded took most of the
    # page's 1.5-2 s in chromium. Models are left out of the page (each operation shows its own).
    docs=_Docs(settings={"docExpansion": "none", "defaultModelsExpandDepth": -1}),
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
        message = str(error.get("msg", "invalid"))
        problems.append(f"{where}: {message}" if where else message)
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


@api.exception_handler(MultiPartParserError)
def bad_multipart(request, exc: MultiPartParserError):
    return _error(
        request,
        f"Request body: not readable as multipart/form-data ({exc}); let your HTTP client "
        "set the Content-Type header, which must carry the boundary",
        400,
    )


@api.exception_handler(PermissionDenied)
def forbidden(request, exc: PermissionDenied):
    return _error(request, str(exc) or "Not allowed", 403)


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
    if isinstance(exc.__cause__, BodyTooDeep | BodyNotJSON):
        return _error(request, str(exc.__cause__), 400)
    return _error(request, str(exc), exc.status_code)


api.add_router("/", "trainerdesk.accounts.api.router")
api.add_router("/", "trainerdesk.accounts.api_audit.router")
api.add_router("/", "trainerdesk.workbench.api.router")
api.add_router("/", "trainerdesk.workbench.api_items.router")
api.add_router("/", "trainerdesk.workbench.api_queue.router")
api.add_router("/", "trainerdesk.workbench.api_export.router")
api.add_router("/", "trainerdesk.workbench.api_progress.router")
api.add_router("/", "trainerdesk.workbench.api_gold.router")
api.add_router("/", "trainerdesk.workbench.api_collab.router")
api.add_router("/", "trainerdesk.quality.api.router")
api.add_router("/", "trainerdesk.evaluation.api.router")
api.add_router("/", "trainerdesk.evaluation.api_suites.router")
api.add_router("/", "trainerdesk.evaluation.api_loop.router")
api.add_router("/", "trainerdesk.governance.api.router")
api.add_router("/", "trainerdesk.governance.api_lineage.router")
api.add_router("/", "trainerdesk.governance.api_bias.router")
api.add_router("/", "trainerdesk.governance.api_evidence.router")
api.add_router("/", "trainerdesk.governance.api_documents.router")
api.add_router("/", "trainerdesk.careers.api.router")
api.add_router("/", "trainerdesk.vetting.api.router")
api.add_router("/", "trainerdesk.placements.api.router")
api.add_router("/", "trainerdesk.invoicing.api.router")
api.add_router("/", "trainerdesk.contracts.api.router")
api.add_router("/", "trainerdesk.privacy.api.router")
api.add_router("/", "trainerdesk.billing.api.router")
api.add_router("/", "trainerdesk.network.api.router")
api.add_router("/", "trainerdesk.network.api_candidates.router")
api.add_router("/", "trainerdesk.network.api_openings.router")
api.add_router("/matching/", "trainerdesk.network.api_matching.router")


def _document_errors() -> None:
    """Every operation's error answers in the OpenAPI, all in ErrorOut's shape: the ones
    that follow from its signature, added here so no operation can forget one. 401: every
    operation authenticates; 404: a path with ids (anything not found or not yours); 422:
    any parameter or body (checked against its schema); 400: a query or body the services
    check further (InvalidInput), or a body that is not readable; 413: any body. Answers
    that depend on what the operation does (403, 409) are in its own `response=`."""
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                kinds = tuple(operation.models)
                has_body = any(issubclass(m, BodyModel | FormModel | FileModel) for m in kinds)
                has_query = any(issubclass(m, QueryModel) for m in kinds)
                # auth_param None: the operation opted out of auth; NOT_SET: the API's.
                codes = {401: operation.auth_param is not None, 404: "{" in operation.path}
                codes[422] = bool(kinds) and any(
                    issubclass(m, PathModel | QueryModel | BodyModel | FormModel | FileModel)
                    for m in kinds
                )
                codes[400] = has_body or has_query
                codes[413] = has_body
                for code, applies in codes.items():
                    if applies and code not in operation.response_models:
                        operation.response_models[code] = operation._create_response_model(ErrorOut)


_document_errors()
