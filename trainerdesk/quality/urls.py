from django.urls import path, re_path

from trainerdesk.quality import views

app_name = "quality"

urlpatterns = [
    path("projects/<int:project_id>/gold/", views.gold, name="gold"),
    path("projects/<int:project_id>/label-errors/", views.label_errors, name="label_errors"),
    path(
        "projects/<int:project_id>/label-errors/runs/<int:run_id>/",
        views.label_error_run,
        name="label_error_run",
    ),
    path(
        "projects/<int:project_id>/label-errors/findings/<int:finding_id>/decide/",
        views.decide_label_error,
        name="decide_label_error",
    ),
]

# --- review ---
urlpatterns += [
    path("projects/<int:project_id>/review/", views.review, name="review"),
    path("projects/<int:project_id>/review/next/", views.review_next, name="review_next"),
    path("projects/<int:project_id>/review/decide/", views.review_decide, name="review_decide"),
]

urlpatterns += [
    path("projects/<int:project_id>/quality/", views.quality_page, name="quality_page"),
    re_path(
        r"^projects/(?P<project_id>[0-9]+)/quality/report\.(?P<fmt>json|csv)$",
        views.report_export,
        name="report_export",
    ),
    path("projects/<int:project_id>/annotators/", views.annotators, name="annotators"),
    path(
        "projects/<int:project_id>/annotators/<str:username>/scorecard/",
        views.scorecard,
        name="scorecard",
    ),
]
