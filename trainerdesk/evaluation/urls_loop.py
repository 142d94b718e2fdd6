"""The feedback loop's pages (views_loop.py), added to the app's URL conf by one line."""

from django.urls import path

from trainerdesk.evaluation import views_loop

urlpatterns = [
    path(
        "projects/<int:project_id>/models/reorders/<int:reorder_id>/progress/",
        views_loop.reorder_progress,
        name="reorder_progress",
    ),
    path(
        "projects/<int:project_id>/models/runs/<int:run_id>/errors/",
        views_loop.run_errors,
        name="run_errors",
    ),
    path(
        "projects/<int:project_id>/models/review-queue/",
        views_loop.review_queue,
        name="review_queue",
    ),
    path("projects/<int:project_id>/models/compare/", views_loop.compare_page, name="compare"),
]
