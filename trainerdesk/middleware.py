"""Site-wide response headers that no single view should have to remember."""

from uuid import uuid4

from django.utils.cache import patch_cache_control

from trainerdesk.lib import audit


class PrivateCacheMiddleware:
    """A response to a signed-in user carries their data (pages, API answers, exports):
    `Cache-Control: private, no-store`, so neither a shared proxy nor the browser's cache
    keeps it after sign-out. Responses that already chose private caching (images by
    content hash) keep their header. Static files never get here: WhiteNoise, earlier in
    MIDDLEWARE, answers them with its own long-lived public caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            current = response.get("Cache-Control", "").lower()
            if "private" not in current and "no-store" not in current:
                patch_cache_control(response, private=True, no_store=True)
        return response


class RequestIdMiddleware:
    """Give each request an id that its audit events carry (lib.audit reads it from a
    context variable) and that the response echoes as `X-Request-ID`, so a log line, an
    error report and an audit event of one request can be matched. A client's or
    proxy's own `X-Request-ID` is kept when it is a short plain token; otherwise a new
    UUID. Inside a request no write is attributed to a default actor: a view must pass
    `by=request.user`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = audit.sane_request_id(request.headers.get("X-Request-ID")) or uuid4().hex
        request.request_id = request_id
        id_token = audit.set_request_id(request_id)
        actor_token = audit.set_default_actor(None)
        try:
            response = self.get_response(request)
        finally:
            audit.reset_default_actor(actor_token)
            audit.reset_request_id(id_token)
        response["X-Request-ID"] = request_id
        return response
