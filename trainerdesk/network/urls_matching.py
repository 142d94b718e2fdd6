"""Matching pages, under /network/ (included from trainerdesk/urls.py)."""

from django.urls import path

from trainerdesk.network import views_matching as views

app_name = "matching"

urlpatterns = [
    path("matching/", views.openings, name="openings"),
    path("roles/<int:opening_id>/ranking/", views.ranking, name="ranking"),
    path(
        "roles/<int:opening_id>/ranking/candidates/<int:candidate_id>/",
        views.ranked_candidate,
        name="ranked_candidate",
    ),
    path("me/roles/", views.my_openings, name="my_openings"),
    path("me/roles/<int:opening_id>/explain/", views.my_explanation, name="my_explanation"),
]
