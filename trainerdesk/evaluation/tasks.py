from django_tasks import task

from trainerdesk.evaluation import services
from trainerdesk.lib import audit

# Audit events these tasks leave name the task as their system actor (task:<name>).


@task()
def run_evaluation_task(run_id: int) -> None:
    with audit.acting_as("task:run_evaluation"):
        services.run_evaluation(run_id=run_id)


@task()
def run_training_task(run_id: int) -> None:
    with audit.acting_as("task:run_training"):
        services.run_training(run_id=run_id)


@task()
def run_suite_task(run_id: int) -> None:
    with audit.acting_as("task:run_suite"):
        services.run_suite_run(run_id=run_id)


@task()
def run_reorder_task(run_id: int) -> None:
    from trainerdesk.evaluation.services.active_queue import run_reorder

    with audit.acting_as("task:run_reorder"):
        run_reorder(run_id=run_id)
