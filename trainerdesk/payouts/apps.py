from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "trainerdesk.payouts"
    label = "payouts"
    verbose_name = "Payouts"
