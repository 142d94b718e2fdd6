"""Account endpoints: who am I, and my API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from django.http import Http404
from ninja import Field, Path, Router, Schema, Status

from trainerdesk.accounts import services
from trainerdesk.accounts.models import ApiToken, Membership
from trainerdesk.lib.api_schemas import InputSchema
from trainerdesk.lib.request_types import ApiRequest

router = Router(tags=["accounts"])

# Largest id a database integer column holds: bigger ids in a URL are simply "not found".
MAX_ID = 2**63 - 1
TokenId = Annotated[int, Path(ge=1, le=MAX_ID, description="Token id")]


class OrganizationRole(Schema):
    id: int
    slug: str = Field(description="Use it (or the id) as `organization` when creating a project.")
    name: str
    role: str = Field(description="Your role: owner, admin or member.")


class MeOut(Schema):
    id: int
    username: str
    email: str
    organizations: list[OrganizationRole]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(
        description="The token starts `td_<prefix>_`; the secret is never shown again."
    )
    created_at: datetime
    last_used_at: datetime | None = Field(None, description="Updated at most once a minute.")
    revoked_at: datetime | None = Field(None, description="Set once the token is revoked.")


class TokenCreated(TokenOut):
    token: str = Field(description="The full token. Shown only in this response: store it now.")


class TokenIn(InputSchema):
    name: str = Field(
        min_length=1, max_length=100, description="What uses the token, e.g. `nightly-export`."
    )


@router.get("/me", response=MeOut, summary="The authenticated user and their organizations")
def me(request: ApiRequest):
    user = request.auth
    memberships = Membership.objects.filter(user=user).select_related("organization")
    return {
        "id": user.pk,
        "username": user.get_username(),
        "email": user.email,
        "organizations": [
            {
                "id": m.organization_id,
                "slug": m.organization.slug,
                "name": m.organization.name,
                "role": m.role,
            }
            for m in memberships.order_by("organization__name")
        ],
    }


@router.get("/tokens", response=list[TokenOut], summary="Your API tokens (never their secrets)")
def list_tokens(request: ApiRequest):
    return list(ApiToken.objects.filter(user=request.auth).order_by("-id"))


@router.post("/tokens", response={201: TokenCreated}, summary="Create an API token")
def create_token(request: ApiRequest, payload: TokenIn):
    token, full = services.create_api_token(user=request.auth, name=payload.name, by=request.auth)
    return Status(201, {**TokenOut.from_orm(token).dict(), "token": full})


@router.delete("/tokens/{token_id}", response=TokenOut, summary="Revoke one of your tokens")
def revoke_token(request: ApiRequest, token_id: TokenId):
    token = ApiToken.objects.filter(user=request.auth, pk=token_id).first()
    if token is None:
        raise Http404("No such token")
    services.revoke_api_token(token=token, by=request.auth)
    return token
