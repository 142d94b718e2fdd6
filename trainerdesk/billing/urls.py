from django.urls import path

from trainerdesk.billing import views

app_name = "billing"

urlpatterns = [
    path("billing/ledger/", views.trial_balance_page, name="trial_balance"),
    path("billing/ledger/accounts/<int:account_id>/", views.account_page, name="account"),
    path("billing/earnings/", views.earnings_page, name="earnings"),
]
