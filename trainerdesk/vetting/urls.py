from django.urls import path

from trainerdesk.vetting import views

app_name = "vetting"

urlpatterns = [
    path("vetting/", views.my_assessments, name="mine"),
    path("vetting/assessments/<int:assessment_id>/start/", views.start, name="start"),
    path("vetting/attempts/<int:attempt_id>/", views.attempt_page, name="attempt"),
    path("vetting/attempts/<int:attempt_id>/finish/", views.finish, name="finish"),
    path("vetting/attempts/<int:attempt_id>/abandon/", views.abandon, name="abandon"),
    path("vetting/staff/", views.staff_list, name="staff_list"),
    path("vetting/staff/new/", views.staff_new, name="staff_new"),
    path("vetting/staff/<int:assessment_id>/", views.staff_edit, name="staff_edit"),
    path("vetting/staff/<int:assessment_id>/status/", views.staff_status, name="staff_status"),
]
