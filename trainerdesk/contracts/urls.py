from django.urls import path

from trainerdesk.contracts import views

app_name = "contracts"

urlpatterns = [
    path("contracts/", views.mine, name="mine"),
    path("contracts/<int:contract_id>/", views.detail, name="detail"),
    path("contracts/<int:contract_id>/accept/", views.accept, name="accept"),
    path("contracts/<int:contract_id>/pdf/", views.pdf, name="pdf"),
    path("contracts/<int:contract_id>/move/", views.move, name="move"),
    path("contracts/staff/", views.staff_contracts, name="staff_contracts"),
    path("contracts/staff/templates/", views.templates, name="staff_templates"),
    path(
        "contracts/staff/templates/<int:template_id>/publish/",
        views.publish,
        name="staff_publish",
    ),
]
