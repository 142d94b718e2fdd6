from django.urls import path

from trainerdesk.quality import views

app_name = "quality"

urlpatterns: list = []

# --- review ---
urlpatterns += [
    path("projects/<int:project_id>/review/", views.review, name="review"),
    path("projects/<int:project_id>/review/next/", views.review_next, name="review_next"),
    path("projects/<int:project_id>/review/decide/", views.review_decide, name="review_decide"),
]
