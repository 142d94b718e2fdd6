from django.apps import AppConfig


class VettingConfig(AppConfig):
    """Assessments: gold projects a candidate takes in the workbench, and the evidence
    (accuracy with its Wilson interval, lead time, agreement) the network matches on."""

    name = "trainerdesk.vetting"
    label = "vetting"
