from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "trainerdesk.quality"
    label = "quality"

    def ready(self) -> None:
        # The workbench is below quality and never imports it: what its pages and
        # workflows need from quality is registered here (workbench/extensions.py).
        from trainerdesk.quality import finals
        from trainerdesk.quality import services as quality
        from trainerdesk.quality.models import ItemAgreement
        from trainerdesk.quality.settings_section import SECTION
        from trainerdesk.workbench import extensions as ext
        from trainerdesk.workbench.extensions import NavLink

        ext.register_final_labeler(quality.FinalLabeler, answers=finals.final_answers)
        ext.register_export_enricher(quality.reviews_of_page)
        ext.register_item_filter("agreement_below", ItemAgreement.objects.items_below)
        ext.register_annotate_context(_return_note)
        ext.register_answer_feedback(quality.gold_feedback)
        ext.register_sent_back(_sent_back)
        ext.register_project_created(quality.create_quality_settings)
        ext.register_settings_section(SECTION)
        staff = ("manager", "reviewer")
        for link in (
            NavLink("Gold", "quality:gold", 30),
            NavLink("Review", "quality:review", 50, roles=staff),
            NavLink("Label errors", "quality:label_errors", 60, roles=staff),
            NavLink("Quality", "quality:quality_page", 70, roles=staff),
            NavLink("Annotators", "quality:annotators", 80, roles=staff,
                    current=("quality:annotators", "quality:scorecard")),
            NavLink("My scorecard", "quality:scorecard", 90, roles=("annotator",),
                    with_username=True),
        ):  # fmt: skip
            ext.register_nav_link(link)


def _return_note(*, project, item, user) -> dict:
    """A reviewer's rejection that sent this item back to the user."""
    from trainerdesk.quality.services import return_note

    return {"return_note": return_note(item=item, user=user) if item is not None else None}


def _sent_back(*, user):
    """An item (OuterRef "pk") on which a reviewer sent this user's answer back."""
    from django.db.models import Exists, OuterRef

    from trainerdesk.quality.models import Review

    return Exists(Review.objects.filter(item=OuterRef("pk"), annotator=user, sent_back=True))
