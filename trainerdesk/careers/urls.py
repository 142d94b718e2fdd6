from django.urls import path

from trainerdesk.careers import views

app_name = "careers"
urlpatterns = [
    path("assessment/", views.assessment, name="assessment"),
    path("assessment/result/", views.result, name="result"),
    path("assessment/result/<str:token>/", views.kept_result, name="kept_result"),
]
