from django.apps import AppConfig


class VettingConfig(AppConfig):
    """Assessments: gold projects a candidate takes in the workbench, and the evidence
    (accuracy with its Wilson interval, lead time, agreement) the network matches on."""

    name = "trainerdesk.vetting"
    label = "vetting"

    def ready(self) -> None:
        # The workbench can't import vetting: its empty-queue card asks the registered
        # apps what comes next (workbench/extensions.py).
        from trainerdesk.privacy import registry
        from trainerdesk.vetting.personal_data import VettingHandler
        from trainerdesk.workbench import extensions as ext

        ext.register_annotate_context(_attempt_done)
        # The person's rows in this app answer GDPR access and erasure requests.
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


def _attempt_done(*, project, item, user) -> dict:
    """In an assessment's workspace with nothing left to answer, the candidate's next
    step is their attempt's page (where "See my result" scores it), not the project."""
    if item is not None:
        return {}
    from django.urls import reverse

    from trainerdesk.vetting.models import Attempt

    attempt = Attempt.objects.filter(workspace=project, user=user).only("pk", "status").first()
    if attempt is None:
        return {}
    label = "See my result" if attempt.status == Attempt.Status.IN_PROGRESS else "My result"
    return {"done_action": {"label": label, "url": reverse("vetting:attempt", args=[attempt.pk])}}
