"""Every long job of every app is one BackgroundRun model, so the worker's one stale-run
check and the one progress partial cover them all."""

from trainerdesk.evaluation.models import EvaluationRun, TrainingRun
from trainerdesk.evaluation.models.loop import QueueReorder
from trainerdesk.evaluation.models.suites import SuiteRun
from trainerdesk.governance.models import DatasetVersion
from trainerdesk.quality.models import AgreementReport, LabelErrorRun
from trainerdesk.workbench import runs
from trainerdesk.workbench.models import ImportJob


def test_the_run_models_of_all_apps():
    assert set(runs.run_models()) == {
        ImportJob,
        AgreementReport,
        LabelErrorRun,
        EvaluationRun,
        TrainingRun,
        DatasetVersion,
        SuiteRun,
        QueueReorder,
    }
