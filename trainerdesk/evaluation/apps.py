from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "trainerdesk.evaluation"
    label = "evaluation"
    verbose_name = "Model testing"

    def ready(self) -> None:
        # The workbench never imports evaluation: its project bar gets the link here.
        from trainerdesk.workbench import extensions as ext
        from trainerdesk.workbench.extensions import NavLink

        ext.register_nav_link(
            NavLink("Model", "evaluation:models", 75, roles=("manager", "reviewer"))
        )
        ext.register_nav_link(
            NavLink(
                "Suites",
                "evaluation:suites",
                76,
                roles=("manager",),
                current=("evaluation:suites", "evaluation:suite"),
            )  # fmt: skip
        )
