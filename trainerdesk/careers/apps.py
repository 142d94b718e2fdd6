from django.apps import AppConfig


class CareersConfig(AppConfig):
    name = "trainerdesk.careers"
    label = "careers"
    verbose_name = "Career self-assessment"

    def ready(self) -> None:
        # The person's rows in this app answer GDPR access and erasure requests.
        from trainerdesk.careers.personal_data import CareersHandler
        from trainerdesk.privacy import registry

        registry.register(CareersHandler())
