from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "trainerdesk.privacy"
    label = "privacy"
    verbose_name = "Privacy (GDPR)"
