from django.urls import path

from trainerdesk.workbench import views, views_annotate, views_collab, views_schema

app_name = "workbench"
urlpatterns = [
    path("", views.home, name="home"),
    path("projects/new/", views.project_new, name="project_new"),
    path("projects/<int:project_id>/", views.project_detail, name="project_detail"),
    path("projects/<int:project_id>/settings/", views.project_settings, name="project_settings"),
    path(
        "projects/<int:project_id>/settings/schema-check/",
        views_schema.schema_check,
        name="schema_check",
    ),
    path("projects/<int:project_id>/members/", views.project_members, name="project_members"),
    path(
        "projects/<int:project_id>/members/<int:user_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("projects/<int:project_id>/import/", views.project_import, name="project_import"),
    path("projects/<int:project_id>/imports/<int:job_id>/", views.import_job, name="import_job"),
    path("projects/<int:project_id>/export/", views.project_export, name="project_export"),
    path("projects/<int:project_id>/images/", views.image_upload, name="image_upload"),
    path("projects/<int:project_id>/images/<str:sha256>/", views.image_file, name="image_file"),
    path(
        "projects/<int:project_id>/items/<int:item_id>/image/<str:key>/",
        views.item_image,
        name="item_image",
    ),
    path("projects/<int:project_id>/items/", views.data_manager, name="data_manager"),
    path(
        "projects/<int:project_id>/items/actions/",
        views.data_manager_action,
        name="data_manager_action",
    ),
    path("projects/<int:project_id>/items/assign-share/", views.queue_share, name="queue_share"),
    path("projects/<int:project_id>/progress/", views.progress, name="progress"),
    path("projects/<int:project_id>/items/<int:item_id>/gold/", views.item_gold, name="item_gold"),
]
urlpatterns += views_annotate.urlpatterns
urlpatterns += views_collab.urlpatterns
