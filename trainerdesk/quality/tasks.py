from django_tasks import task

from trainerdesk.lib import audit
from trainerdesk.quality import services

# Audit events these tasks leave name the task as their system actor (task:<name>).


@task()
def run_label_errors_task(run_id: int) -> None:
    with audit.acting_as("task:run_label_errors"):
        services.run_label_errors(run_id=run_id)


@task()
def compute_agreement_report_task(report_id: int) -> None:
    with audit.acting_as("task:compute_agreement_report"):
        services.compute_agreement_report(report_id=report_id)
