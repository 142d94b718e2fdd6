from django.apps import AppConfig


class VettingConfig(AppConfig):
    """Assessments: gold projects a candidate takes in the workbench, and the evidence
    (accuracy with its Wilson interval, lead time, agreement) the network matches on."""

    name = "trainerdesk.vetting"
    label = "vetting"

    def ready(self) -> None:
        # The person's rows in this app answer GDPR access and erasure requests.
        from trainerdesk.privacy import registry
        from trainerdesk.vetting.personal_data import VettingHandler

        registry.register(VettingHandler())

    def load_demo(self, *, stdout=None, limit: int | None = None) -> dict:
        """Called by `trainerdesk demo` (workbench's command, which may not import this
        app): the two demo assessments."""
        from trainerdesk.vetting.demo import load_vetting_demo

        return load_vetting_demo(stdout=stdout, limit=limit)

    def remove_demo(self, *, stdout=None) -> None:
        """Called by `trainerdesk demo --reset/--remove` before the workbench's reset."""
        from trainerdesk.vetting.demo import remove_vetting_demo

        remove_vetting_demo(stdout=stdout)
