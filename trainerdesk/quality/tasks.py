from django_tasks import task

from trainerdesk.quality import services


@task()
def run_label_errors_task(run_id: int) -> None:
    services.run_label_errors(run_id=run_id)
