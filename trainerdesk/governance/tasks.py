from django_tasks import task

from trainerdesk.governance import services
from trainerdesk.lib import audit

# Audit events these tasks leave name the task as their system actor (task:<name>).


@task()
def build_version_task(version_id: int) -> None:
    with audit.acting_as("task:build_dataset_version"):
        services.build_version(version_id=version_id)


@task()
def record_chain_heads_task() -> None:
    from trainerdesk.governance.services import heads

    heads.record_chain_heads(system="task:record_chain_heads")
