from django_tasks import task

from trainerdesk.lib import audit
from trainerdesk.workbench import services

# A task's writes are the worker's, not a person's: the audit events they leave name the
# task as their system actor (task:<name>).


@task()
def run_import_task(job_id: int) -> None:
    with audit.acting_as("task:run_import"):
        services.run_import(job_id=job_id)


@task()
def deliver_webhook_task(delivery_id: int) -> None:
    with audit.acting_as("task:deliver_webhook"):
        services.deliver_webhook(delivery_id=delivery_id)


@task()
def index_search_task() -> None:
    with audit.acting_as("task:index_search"):
        services.index_pending_items()
