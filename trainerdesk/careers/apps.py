from django.apps import AppConfig


class CareersConfig(AppConfig):
    name = "trainerdesk.careers"
    label = "careers"
    verbose_name = "Career self-assessment"
