from django.utils import timezone
from django_tasks import task

from trainerdesk.lib import audit
from trainerdesk.privacy import services

# Audit events this task leaves name it as their system actor (task:apply_retention).


@task()
def apply_retention_task(dry_run: bool = False) -> dict:
    """The daily retention run (enqueue it from a scheduler; `trainerdesk
    privacy_retention` does the same from cron). Returns the summary."""
    with audit.acting_as("task:apply_retention"):
        summary = services.run_retention(today=timezone.localdate(), dry_run=dry_run)
    return {k: (len(v) if isinstance(v, list) else v) for k, v in summary.items()}
