from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "trainerdesk.contracts"
    label = "contracts"
    verbose_name = "Contracts"
