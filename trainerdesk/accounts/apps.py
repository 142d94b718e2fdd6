from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "trainerdesk.accounts"
    label = "accounts"
