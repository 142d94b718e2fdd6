from django.apps import AppConfig


class PlacementsConfig(AppConfig):
    """The pipeline from a member's submission of a candidate to a client's opening to a
    placement that earns its fee: fair-play policy, stages with their history, ownership,
    interviews, offers, placements and the funnel."""

    name = "trainerdesk.placements"
    label = "placements"

    def ready(self) -> None:
        # The person's rows in this app answer GDPR access and erasure requests.
        from trainerdesk.placements.personal_data import PlacementsHandler
        from trainerdesk.privacy import registry

        registry.register(PlacementsHandler())
