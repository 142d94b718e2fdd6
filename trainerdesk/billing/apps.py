from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "trainerdesk.billing"
    label = "billing"
    verbose_name = "Ledger and commissions"
