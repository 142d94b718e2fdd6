from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "trainerdesk.governance"
    label = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        # The workbench never imports governance: its project bar gets the link here.
        from trainerdesk.workbench import extensions as ext
        from trainerdesk.workbench.extensions import NavLink

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
        ext.register_nav_link(
            NavLink(
                "Documents",
                "governance:documents",
                77,
                roles=("manager",),
                current=("governance:documents", "governance:document", "governance:data_gaps"),
            )
        )

    def load_demo(self, *, stdout=None, limit: int | None = None) -> dict:
        """Called by `trainerdesk demo` after the workbench demo: the Toronto arrests
        project with its recorded outcomes and a bias audit by colour."""
        from trainerdesk.governance.demo import load_bias_demo

        return load_bias_demo(stdout=stdout, limit=limit)
