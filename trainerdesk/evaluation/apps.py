from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "trainerdesk.evaluation"
    label = "evaluation"
    verbose_name = "Model testing"
