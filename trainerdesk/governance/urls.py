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

from trainerdesk.governance import views_heads  # noqa: E402

urlpatterns += [
    path("org/<int:org_id>/audit/heads/", views_heads.audit_heads, name="audit_heads"),
    path(
        "org/<int:org_id>/audit/heads.<str:fmt>",
        views_heads.audit_heads_export,
        name="audit_heads_export",
    ),
]

from trainerdesk.governance import views_evidence  # noqa: E402

urlpatterns += [
    path("projects/<int:project_id>/evidence/", views_evidence.evidence_page, name="evidence"),
    path(
        "projects/<int:project_id>/evidence.csv", views_evidence.evidence_csv, name="evidence_csv"
    ),
]

from trainerdesk.governance import views_lineage  # noqa: E402

urlpatterns += [
    path(
        "projects/<int:project_id>/versions/<int:version_id>/lineage/",
        views_lineage.record,
        name="lineage_record",
    ),
]

from trainerdesk.governance import views_bias  # noqa: E402

urlpatterns += [
    path(
        "projects/<int:project_id>/bias/model-fairness/",
        views_bias.run_model_fairness,
        name="bias_model_fairness",
    ),
    path(
        "projects/<int:project_id>/bias/annotator-parity/",
        views_bias.run_annotator_parity,
        name="bias_annotator_parity",
    ),
]
urlpatterns += views_documents.urlpatterns
