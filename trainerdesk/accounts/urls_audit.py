from django.urls import path

from trainerdesk.accounts import views_audit

app_name = "accounts_audit"
urlpatterns = [
    path("audit/", views_audit.audit_index, name="audit_index"),
    path("org/<int:org_id>/audit/", views_audit.org_audit, name="org_audit"),
    path(
        "org/<int:org_id>/audit/export.<str:fmt>",
        views_audit.org_audit_export,
        name="org_audit_export",
    ),
]
