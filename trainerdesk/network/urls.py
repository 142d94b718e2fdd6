from django.urls import path

from trainerdesk.network import views, views_candidates, views_openings, views_staff

app_name = "network"

urlpatterns = [
    path("network/", views.home, name="home"),
    path("network/apply/", views.apply, name="apply"),
    path("network/renew/", views.renew, name="renew"),
    path("network/onboarding/", views.onboarding, name="onboarding"),
    path("network/onboarding/<slug:slug>/", views.guide_page, name="guide"),
    path("network/me/", views_candidates.me, name="me"),
    path("network/join/<str:token>/", views_candidates.join, name="join"),
    path(
        "network/candidates/<int:candidate_id>/invite/",
        views_candidates.candidate_invite,
        name="candidate_invite",
    ),
    path("network/candidates/", views_candidates.candidate_list, name="candidates"),
    path("network/candidates/add/", views_candidates.candidate_add, name="candidate_add"),
    path(
        "network/candidates/request/",
        views_candidates.representation_request,
        name="representation_request",
    ),
    path(
        "network/candidates/<int:candidate_id>/",
        views_candidates.candidate_detail,
        name="candidate",
    ),
    path(
        "network/candidates/<int:candidate_id>/edit/",
        views_candidates.candidate_edit,
        name="candidate_edit",
    ),
    path(
        "network/candidates/<int:candidate_id>/consents/",
        views_candidates.consent_grant,
        name="consent_grant",
    ),
    path(
        "network/candidates/<int:candidate_id>/consents/<int:consent_id>/withdraw/",
        views_candidates.consent_withdraw,
        name="consent_withdraw",
    ),
    path(
        "network/requests/<int:request_id>/answer/",
        views_candidates.answer_request,
        name="answer_request",
    ),
    path("network/roles/", views_openings.opening_list, name="openings"),
    path(
        "network/clients/<int:client_id>/roles/new/",
        views_openings.opening_create,
        name="opening_create",
    ),
    path("network/roles/<int:opening_id>/", views_openings.opening_detail, name="opening"),
    path("network/roles/<int:opening_id>/edit/", views_openings.opening_edit, name="opening_edit"),
    path(
        "network/roles/<int:opening_id>/status/",
        views_openings.opening_transition,
        name="opening_transition",
    ),
    path("network/staff/members/", views_staff.members, name="staff_members"),
    path(
        "network/staff/members/<int:member_id>/decide/",
        views_staff.member_decide,
        name="member_decide",
    ),
    path(
        "network/staff/memberships/<int:membership_id>/",
        views_staff.membership_action,
        name="membership_action",
    ),
    path("network/staff/clients/", views_staff.clients, name="staff_clients"),
    path(
        "network/staff/clients/<int:client_id>/decide/",
        views_staff.client_decide,
        name="client_decide",
    ),
    path(
        "network/staff/clients/<int:client_id>/contacts/",
        views_staff.client_contact,
        name="client_contact",
    ),
    path("network/staff/roles/", views_staff.approvals, name="staff_approvals"),
    path("network/staff/merge/", views_staff.merge, name="staff_merge"),
]
