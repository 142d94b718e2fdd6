from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "trainerdesk.payouts"
    label = "payouts"
    verbose_name = "Payouts"

    def ready(self) -> None:
        from trainerdesk.payouts.personal_data import PayoutsHandler
        from trainerdesk.privacy import registry

        registry.register(PayoutsHandler())
