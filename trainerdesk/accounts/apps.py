from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "trainerdesk.accounts"
    label = "accounts"

    def ready(self):
        from trainerdesk.accounts import receivers  # noqa: F401 (connects the sign-in signals)
