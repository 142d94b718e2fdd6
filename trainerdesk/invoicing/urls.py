from django.urls import path

from trainerdesk.invoicing import views

app_name = "invoicing"

urlpatterns = [
    path("invoices/", views.my_invoices, name="mine"),
    path("invoices/staff/", views.staff_list, name="staff"),
    path("invoices/staff/draft/", views.draft, name="draft"),
    path("invoices/staff/reminders/", views.reminders, name="reminders"),
    path("invoices/<int:invoice_id>/", views.detail, name="detail"),
    path("invoices/<int:invoice_id>/pdf/", views.pdf, name="pdf"),
    path("invoices/<int:invoice_id>/issue/", views.issue, name="issue"),
    path("invoices/<int:invoice_id>/payment/", views.payment, name="payment"),
    path("invoices/<int:invoice_id>/credit-note/", views.credit_note, name="credit_note"),
    path("invoices/<int:invoice_id>/vies/", views.vies, name="vies"),
]
