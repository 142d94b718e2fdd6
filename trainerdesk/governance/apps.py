from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "trainerdesk.governance"
    label = "governance"
    verbose_name = "Governance"
