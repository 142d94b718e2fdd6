from django.urls import path

from trainerdesk.governance import views, views_documents

app_name = "governance"

urlpatterns = [
    path("projects/<int:project_id>/versions/", views.versions, name="versions"),
    path("projects/<int:project_id>/versions/diff/", views.diff, name="diff"),
    path("projects/<int:project_id>/versions/<int:version_id>/", views.version, name="version"),
    path(
        "projects/<int:project_id>/versions/<int:version_id>/progress/",
        views.version_progress,
        name="version_progress",
    ),
    path(
        "projects/<int:project_id>/versions/<int:version_id>/export/",
        views.export,
        name="export",
    ),
    path(
        "projects/<int:project_id>/versions/<int:version_id>/export.sha256",
        views.export_checksum,
        name="export_checksum",
    ),
]

urlpatterns += [
    path("projects/<int:project_id>/bias/", views.bias_audits, name="bias_audits"),
    path("projects/<int:project_id>/bias/<int:audit_id>/", views.bias_audit, name="bias_audit"),
]

urlpatterns += views_documents.urlpatterns
