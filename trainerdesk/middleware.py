"""Site-wide response headers that no single view should have to remember."""

from django.utils.cache import patch_cache_control


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
