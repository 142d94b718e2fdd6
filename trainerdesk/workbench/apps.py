from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    name = "trainerdesk.workbench"
    label = "workbench"

    def ready(self) -> None:
        from trainerdesk.privacy import registry
        from trainerdesk.workbench.extensions import NavLink, register_nav_link
        from trainerdesk.workbench.personal_data import WorkbenchHandler

        # The person's comments, notifications and annotations answer GDPR requests.
        registry.register(WorkbenchHandler())

        managers = ("manager",)
        for link in (
            NavLink("Annotate", "workbench:annotate", 10, primary=True),
            NavLink("Progress", "workbench:progress", 20),
            NavLink("Items", "workbench:data_manager", 40, roles=("manager", "reviewer"),
                    current=("workbench:data_manager", "workbench:item_detail")),
            NavLink("Import", "workbench:project_import", 100, roles=managers,
                    current=("workbench:project_import", "workbench:import_job",
                             "workbench:image_upload")),
            NavLink("Export", "workbench:project_export", 110, roles=managers),
            NavLink("Members", "workbench:project_members", 120, roles=managers),
            NavLink("Settings", "workbench:project_settings", 130, roles=managers),
            NavLink("Webhooks", "workbench:project_webhooks", 140, roles=managers),
        ):  # fmt: skip
            register_nav_link(link)
