from django_tasks import task

from trainerdesk.quality import services


@task()
def run_label_errors_task(run_id: int) -> None:
    services.run_label_errors(run_id=run_id)


@task()
def compute_agreement_report_task(report_id: int) -> None:
    services.compute_agreement_report(report_id=report_id)
