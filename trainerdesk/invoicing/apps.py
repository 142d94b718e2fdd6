from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "trainerdesk.invoicing"
    label = "invoicing"
    verbose_name = "Invoices and VAT"
