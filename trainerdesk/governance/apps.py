from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "trainerdesk.governance"
    label = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        # The workbench never imports governance: its project bar gets the link here.
        from trainerdesk.accounts import audit_commands
        from trainerdesk.governance import heads_cli
        from trainerdesk.governance.personal_data import GovernanceHandler
        from trainerdesk.privacy import registry
        from trainerdesk.workbench import extensions as ext
        from trainerdesk.workbench.extensions import NavLink

        registry.register(GovernanceHandler())
        _connect_lineage()
        # `trainerdesk audit heads`, and the heads check of `audit verify`.
        audit_commands.register_subcommand(heads_cli.SUBCOMMAND)
        audit_commands.register_verify_check(heads_cli.verify_check)

        ext.register_nav_link(
            NavLink(
                "Versions",
                "governance:versions",
                75,
                roles=("manager",),
                current=("governance:versions", "governance:version", "governance:diff"),
            )
        )
        ext.register_nav_link(
            NavLink(
                "Bias audit",
                "governance:bias_audits",
                76,
                roles=("manager",),
                current=("governance:bias_audits", "governance:bias_audit"),
            )
        )
        ext.register_nav_link(NavLink("Evidence", "governance:evidence", 77, roles=("manager",)))
        ext.register_nav_link(
            NavLink(
                "Documents",
                "governance:documents",
                78,
                roles=("manager",),
                current=("governance:documents", "governance:document", "governance:data_gaps"),
            )
        )

    def load_demo(self, *, stdout=None, limit: int | None = None) -> dict:
        """Called by `trainerdesk demo` after the workbench demo: the Toronto arrests
        project with its recorded outcomes and a bias audit by colour."""
        from trainerdesk.governance.demo import load_bias_demo

        return load_bias_demo(stdout=stdout, limit=limit)


def _connect_lineage() -> None:
    """A run that finishes is matched to the project's built versions (services/lineage.py):
    quality and evaluation sit below governance and never call it, so governance hooks
    into their runs' finish (workbench/runs.after_finish). A version that is built is
    matched to the finished runs, whichever path built it (the worker or the CLI)."""
    from trainerdesk.evaluation.models import EvaluationRun, TrainingRun
    from trainerdesk.governance.models import DatasetVersion
    from trainerdesk.quality.models import LabelErrorRun
    from trainerdesk.workbench import runs

    def lineage():
        from trainerdesk.governance.services import lineage

        return lineage

    def on_training_run(run: TrainingRun) -> None:
        # What is matched is the model version the run trained.
        if run.version_id is not None and run.version.training_digest:
            lineage().match_run("model_version", run.version)

    runs.after_finish(DatasetVersion, lambda version: lineage().match_version(version))
    runs.after_finish(LabelErrorRun, lambda run: lineage().match_run("label_error_run", run))
    runs.after_finish(EvaluationRun, lambda run: lineage().match_run("evaluation_run", run))
    runs.after_finish(TrainingRun, on_training_run)
