from django.urls import path

from trainerdesk.evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("projects/<int:project_id>/models/", views.models_page, name="models"),
    path(
        "projects/<int:project_id>/models/runs/<int:run_id>/progress/",
        views.run_progress,
        name="run_progress",
    ),
]

# The feedback loop's pages.
from trainerdesk.evaluation.urls_loop import urlpatterns as loop_urls  # noqa: E402

urlpatterns += loop_urls
