"""Account pages: sign-in (Django's views, throttled by django-axes), password, API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from trainerdesk.accounts import services
from trainerdesk.accounts.forms import SignupForm, TokenForm
from trainerdesk.accounts.models import ApiToken
from trainerdesk.lib.request_types import AuthenticatedRequest

login = auth_views.LoginView.as_view(
    template_name="accounts/login.html",
    redirect_authenticated_user=True,
    extra_context={"signup_open": lambda: settings.SIGNUP_OPEN},
)
logout = auth_views.LogoutView.as_view()


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def form_valid(self, form):
        # The service writes the password and its audit event; the form only validated.
        # form.user is the signed-in user (the view is login_required): they act.
        services.change_password(
            user=form.user, password=form.cleaned_data["new_password1"], by=form.user
        )
        update_session_auth_hash(self.request, form.user)
        return HttpResponseRedirect(self.get_success_url())


password_change = PasswordChangeView.as_view()


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if not settings.SIGNUP_OPEN:
        raise Http404("Sign-up is closed")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.user.is_authenticated:
        return redirect(next_url or "/")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.sign_up(
                username=data["username"], email=data["email"], password=data["password1"]
            )
        except services.AccountError as exc:
            for problem in str(exc).split("; "):
                field, _, message = problem.partition(": ")
                target = {"password": "password1"}.get(field, field)
                form.add_error(target if target in form.fields else None, message or problem)
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome, {user.get_username()}: your account is ready.")
            return redirect(next_url or "/")
    context = {"form": form, "next": next_url}
    return TemplateResponse(request, "accounts/signup.html", context, status=200)


password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="accounts/password_change_done.html"
)


def _tokens_page(
    request: AuthenticatedRequest,
    form: TokenForm,
    *,
    new_token: str | None = None,
    status: int = 200,
) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    context = {"form": form, "tokens": tokens, "new_token": new_token}
    return TemplateResponse(request, "accounts/tokens.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "GET":
        return _tokens_page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form, status=400)
    try:
        _, full = services.create_api_token(
            user=request.user, name=form.cleaned_data["name"], by=request.user
        )
    except services.AccountError as exc:
        form.add_error("name", str(exc))
        return _tokens_page(request, form, status=400)
    # Rendered in the POST response, never stored: the secret exists only on this page.
    return _tokens_page(request, TokenForm(), new_token=full)


@login_required
@require_POST
def revoke_token(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.revoke_api_token(token=token, by=request.user)
    messages.success(request, f"Token “{token.name}” revoked; requests using it now fail.")
    return redirect("accounts:tokens")
