from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "trainerdesk.governance"
    label = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        # The workbench never imports governance: its project bar gets the link here.
        from trainerdesk.accounts import audit_commands
        from trainerdesk.governance import heads_cli
        from trainerdesk.workbench import extensions as ext
        from trainerdesk.workbench.extensions import NavLink

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

    def load_demo(self, *, stdout=None, limit: int | None = None) -> dict:
        """Called by `trainerdesk demo` after the workbench demo: the Toronto arrests
        project with its recorded outcomes and a bias audit by colour."""
        from trainerdesk.governance.demo import load_bias_demo

        return load_bias_demo(stdout=stdout, limit=limit)


def _connect_lineage() -> None:
    """A run that finishes is matched to the project's built versions (services/lineage.py):
    quality and evaluation sit below governance and never call it, so it listens. A
    version that is built is matched to the finished runs (whichever path built it: the
    worker's task or `trainerdesk version create`)."""
    from django.db import transaction
    from django.db.models.signals import post_save

    from trainerdesk.evaluation.models import EvaluationRun, ModelVersion, TrainingRun
    from trainerdesk.governance.models import DatasetVersion
    from trainerdesk.quality.models import LabelErrorRun

    def on_version_saved(sender, instance, **kwargs) -> None:
        from trainerdesk.governance.services import lineage

        if instance.status == "done":
            transaction.on_commit(lambda: lineage.match_version(instance))

    post_save.connect(
        on_version_saved, sender=DatasetVersion, weak=False, dispatch_uid="lineage-version"
    )

    def receiver(run_type: str):
        def on_save(sender, instance, **kwargs) -> None:
            from trainerdesk.governance.services import lineage

            kind, obj = run_type, instance
            if kind == "training_run":
                # Its model version may have been matched before the run pointed at it.
                if obj.status != "done" or obj.version_id is None:
                    return
                kind, obj = "model_version", obj.version
            if kind == "model_version":
                if not obj.training_digest:
                    return
            elif obj.status != "done":
                return
            transaction.on_commit(lambda: lineage.match_run(kind, obj))

        return on_save

    for model, run_type in (
        (LabelErrorRun, "label_error_run"),
        (EvaluationRun, "evaluation_run"),
        (ModelVersion, "model_version"),
        (TrainingRun, "training_run"),
    ):
        post_save.connect(
            receiver(run_type), sender=model, weak=False, dispatch_uid=f"lineage-{run_type}"
        )
