from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "trainerdesk.quality"
    label = "quality"
