from django.urls import path

from trainerdesk.evaluation import views, views_suites

app_name = "evaluation"

urlpatterns = [
    path("projects/<int:project_id>/models/", views.models_page, name="models"),
    path(
        "projects/<int:project_id>/models/runs/<int:run_id>/progress/",
        views.run_progress,
        name="run_progress",
    ),
    path("projects/<int:project_id>/models/suites/", views_suites.suites_page, name="suites"),
    path(
        "projects/<int:project_id>/models/suites/add-cases/",
        views_suites.suite_add_cases,
        name="suite_add_cases",
    ),
    path(
        "projects/<int:project_id>/models/suites/<int:suite_id>/",
        views_suites.suite_page,
        name="suite",
    ),
    path(
        "projects/<int:project_id>/models/suites/<int:suite_id>/export.json",
        views_suites.suite_export,
        name="suite_export",
    ),
    path(
        "projects/<int:project_id>/models/suites/<int:suite_id>/cases.jsonl",
        views_suites.suite_cases_export,
        name="suite_cases_export",
    ),
    path(
        "projects/<int:project_id>/models/suites/<int:suite_id>/runs/<int:run_id>/progress/",
        views_suites.suite_run_progress,
        name="suite_run_progress",
    ),
]

# The feedback loop's pages.
from trainerdesk.evaluation.urls_loop import urlpatterns as loop_urls  # noqa: E402

urlpatterns += loop_urls
