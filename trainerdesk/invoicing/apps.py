from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "trainerdesk.invoicing"
    label = "invoicing"
    verbose_name = "Invoices and VAT"

    def ready(self) -> None:
        from trainerdesk.invoicing.personal_data import InvoicingHandler
        from trainerdesk.privacy import registry

        registry.register(InvoicingHandler())
