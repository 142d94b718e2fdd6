from django.urls import path

from trainerdesk.placements import views

app_name = "placements"

urlpatterns = [
    path("placements/", views.home, name="home"),
    path("placements/pipeline/", views.pipeline, name="pipeline"),
    path("placements/submit/", views.submit, name="submit"),
    path("placements/disputes/new/", views.raise_dispute, name="raise_dispute"),
    path("placements/client/", views.client_home, name="client"),
    path("placements/client/roles/<int:opening_id>/", views.client_opening, name="client_opening"),
    path("placements/staff/", views.staff_dashboard, name="staff"),
    path(
        "placements/disputes/<int:dispute_id>/resolve/",
        views.resolve_dispute,
        name="resolve_dispute",
    ),
    path("placements/submissions/<int:submission_id>/", views.submission_detail, name="submission"),
    path("placements/submissions/<int:submission_id>/move/", views.move, name="move"),
    path("placements/submissions/<int:submission_id>/interviews/", views.schedule, name="schedule"),
    path("placements/interviews/<int:interview_id>/feedback/", views.feedback, name="feedback"),
    path("placements/submissions/<int:submission_id>/offers/", views.offer, name="offer"),
    path("placements/offers/<int:offer_id>/answer/", views.answer, name="answer"),
    path("placements/placements/<int:placement_id>/start/", views.start, name="start"),
    path("placements/placements/<int:placement_id>/fall-off/", views.fall_off, name="fall_off"),
]
