"""LLM-response evaluation in a real browser (headless Debian chromium via Playwright):
prefer response B with strength 2 by keyboard (undoing a first choice empties the rewrite box
it filled), rate two criteria with the mouse, see the rewrite box start from B's text, edit
it, submit with Enter, and check what was stored.
"""

import pytest

from trainerdesk.workbench import services
from trainerdesk.workbench.models import Annotation, Item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCHEMA = {
    "fields": [
        {"name": "preference", "type": "pairwise", "source": "responses", "strength": True},
        {
            "name": "quality",
            "type": "rating",
            "source": "responses",
            "per_response": False,
            "criteria": [
                {"name": "helpfulness", "min": 1, "max": 5},
                {"name": "harmlessness", "min": 1, "max": 5},
            ],
        },
        {"name": "rewrite", "type": "text", "source": "responses"},
    ]
}
RESPONSE_B = "Paris is the capital of France.\nIt sits on the Seine."
ITEM = {
    "prompt": "What is the capital of France?",
    "responses": [{"text": "Lyon.", "model": "model-one"}, {"text": RESPONSE_B, "model": "m2"}],
}


@pytest.fixture
def llm_project(org, owner, teammate):
    project = services.create_project(
        organization=org, created_by=owner, name="Prefs", label_schema=SCHEMA
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    services.add_items(project=project, items=[ITEM], by=project.created_by)
    # The responses in the item's own order here; test_browser_keyboard.py tests blind mode.
    return services.update_project(project=project, by=owner, blind_order=False)


def test_prefer_rate_rewrite_and_submit(open_annotation_page, browser_page, llm_project):
    page, errors = browser_page
    open_annotation_page(llm_project, ready=".responses-2 .response[data-index='1']")
    assert "model-one" not in page.content()
    item = Item.objects.get(project=llm_project)

    rewrite = page.locator("textarea[name=f_rewrite]")
    assert rewrite.input_value() == ""
    page.keyboard.press(".")
    assert rewrite.input_value() == RESPONSE_B
    page.keyboard.press("Control+z")  # the undone choice takes its pre-filled text with it
    assert page.locator("input[name=ui_preference_preferred]:checked").count() == 0
    assert rewrite.input_value() == ""
    page.keyboard.press(".")  # B is better
    page.keyboard.press("=")  # strength 1
    page.keyboard.press("=")  # strength 2
    page.wait_for_selector("input[name=ui_preference_strength][value='2']:checked")
    assert page.locator("input[name=ui_preference_preferred][value='1']").is_checked()
    assert rewrite.input_value() == RESPONSE_B  # started from the preferred response

    # A change of mind does not overwrite a rewrite already started.
    page.keyboard.press(",")
    page.wait_for_selector("input[name=ui_preference_preferred][value='0']:checked")
    assert rewrite.input_value() == RESPONSE_B
    page.keyboard.press("Control+z")  # back to B, whose text stays
    page.wait_for_selector("input[name=ui_preference_preferred][value='1']:checked")
    assert rewrite.input_value() == RESPONSE_B

    page.locator("tr[data-criterion=helpfulness] label:has-text('4')").click()
    page.locator("tr[data-criterion=harmlessness] label:has-text('5')").click()

    rewrite.click()
    page.keyboard.press("End")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("Its population is about two million.")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#workspace:not([data-item='{item.pk}'])")

    annotation = Annotation.objects.get(item=item)
    assert annotation.answer == {
        "preference": {"preferred": 1, "strength": 2},
        "quality": {"helpfulness": 4, "harmlessness": 5},
        "rewrite": RESPONSE_B + "\nIts population is about two million.",
    }
    assert errors == []


def test_rank_three_responses_with_the_move_buttons(
    open_annotation_page, browser_page, org, owner, teammate
):
    schema = {
        "fields": [
            {"name": "order", "type": "ranking", "source": "responses"},
            {"name": "ideal", "type": "text", "source": "responses", "required": False},
        ]
    }
    project = services.create_project(
        organization=org, created_by=owner, name="Ranks", label_schema=schema
    )
    services.set_project_member(project=project, user=teammate, role="annotator", by=owner)
    services.add_items(
        project=project,
        items=[{"prompt": "p", "responses": ["x", "y", "z"]}],
        by=project.created_by,
    )
    services.update_project(project=project, by=owner, blind_order=False)
    item = Item.objects.get(project=project)
    page, errors = browser_page
    open_annotation_page(project, ready=".responses-grid .response[data-index='2']")
    assert page.locator("input[name=f_order]").input_value() == ""  # not ranked until touched

    ideal = page.locator("textarea[name=f_ideal]")
    page.get_by_role("button", name="Move response C up").click()
    assert ideal.input_value() == "x"  # the top response starts the rewrite
    page.keyboard.press("Control+z")  # undoing the move empties it again
    assert (ideal.input_value(), page.locator("input[name=f_order]").input_value()) == ("", "")

    page.get_by_role("button", name="Move response C up").click()
    page.get_by_role("button", name="Move response C up").click()
    page.get_by_role("button", name="Move response A down").click()
    page.wait_for_selector(".ranking-row:first-child[data-index='2']")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#workspace:not([data-item='{item.pk}'])")
    assert Annotation.objects.get(item=item).answer == {"order": [2, 1, 0], "ideal": "x"}
    assert errors == []
