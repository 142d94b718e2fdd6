from django.apps import AppConfig


class ContractsConfig(AppConfig):
    """Contracts from versioned templates (member agreement, client framework agreement,
    role terms), their PDFs and the evidence of acceptance; and the network gates that
    need them (contracts/gates.py)."""

    name = "trainerdesk.contracts"
    label = "contracts"
    verbose_name = "Contracts"

    def ready(self) -> None:
        from trainerdesk.contracts import gates
        from trainerdesk.contracts.personal_data import ContractsHandler
        from trainerdesk.privacy import registry

        gates.register()
        registry.register(ContractsHandler())
