from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "trainerdesk.billing"
    label = "billing"
    verbose_name = "Ledger and commissions"

    def ready(self) -> None:
        from trainerdesk.billing.personal_data import BillingHandler
        from trainerdesk.privacy import registry

        registry.register(BillingHandler())
