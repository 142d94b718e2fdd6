from django_tasks import task

from trainerdesk.workbench import services


@task()
def run_import_task(job_id: int) -> None:
    services.run_import(job_id=job_id)


@task()
def deliver_webhook_task(delivery_id: int) -> None:
    services.deliver_webhook(delivery_id=delivery_id)


@task()
def index_search_task() -> None:
    services.index_pending_items()
