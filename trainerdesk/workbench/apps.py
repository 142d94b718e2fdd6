from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    name = "trainerdesk.workbench"
    label = "workbench"
