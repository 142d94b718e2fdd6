from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "trainerdesk.privacy"
    label = "privacy"
    verbose_name = "Privacy (GDPR)"

    def ready(self) -> None:
        # accounts sits below privacy and cannot import the registry: its handler is here.
        from trainerdesk.privacy import registry
        from trainerdesk.privacy.personal_data import AccountsHandler, PrivacyHandler

        registry.register(AccountsHandler())
        registry.register(PrivacyHandler())
