from django.urls import path

from trainerdesk.privacy import views

app_name = "privacy"

urlpatterns = [
    path("privacy/", views.notice, name="notice"),
    path("privacy/staff/", views.requests_list, name="requests"),
    path("privacy/staff/requests/new/", views.request_new, name="request_new"),
    path("privacy/staff/requests/<int:request_id>/", views.request_detail, name="request"),
    path("privacy/staff/requests/<int:request_id>/verify/", views.verify, name="verify"),
    path("privacy/staff/requests/<int:request_id>/bundle/", views.bundle, name="bundle"),
    path("privacy/staff/requests/<int:request_id>/erase/", views.erase, name="erase"),
    path("privacy/staff/requests/<int:request_id>/close/", views.close, name="close"),
    path("privacy/staff/retention/", views.retention, name="retention"),
    path("privacy/staff/records/", views.records, name="records"),
    path("privacy/staff/records.<str:fmt>", views.records_export, name="records_export"),
]
