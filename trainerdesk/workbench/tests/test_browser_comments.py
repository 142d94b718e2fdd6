"""Comments in a real browser (headless Debian chromium via Playwright): on the annotation
page an annotator presses `c`, writes a comment mentioning the project's manager (Enter
makes a new line in the comment, it does not submit the answer), posts it with
Ctrl+Enter; then the manager logs in and finds it in the inbox.
"""

import pytest

from conftest import PASSWORD
from trainerdesk.workbench.models import Annotation, Comment, Item, Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_comment_with_a_mention_reaches_the_inbox(
    open_annotation_page, browser_page, live_server, project, owner
):
    page, errors = browser_page
    open_annotation_page(project, ready="#comment-body")
    item_id = int(page.locator("#workspace").get_attribute("data-item"))

    page.keyboard.press("c")
    assert page.evaluate("document.activeElement.id") == "comment-body"
    page.keyboard.type("Is this about **sport**?")
    page.keyboard.press("Enter")  # a new line in the comment, not a submitted answer
    page.keyboard.type("@owner please check")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=Notified: @owner.")
    page.wait_for_selector("#thread .comment-body strong:has-text('sport')")

    # `c` while typing is a letter, not a jump to the comment box.
    reply = page.locator("#thread .reply-form textarea")
    reply.click()
    page.keyboard.type("cc")
    assert reply.input_value() == "cc"
    assert page.evaluate("document.activeElement.name") == "body"
    assert page.locator("#comment-body").input_value() == ""

    comment = Comment.objects.get()
    assert comment.item_id == item_id
    assert comment.body == "Is this about **sport**?\n@owner please check"
    assert not Annotation.objects.exists()
    assert Notification.objects.get().user == owner

    page.get_by_role("button", name="Log out teammate").click()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Log out owner")
    assert page.locator("#inbox-link .unread").inner_text() == "1"
    page.click("#inbox-link")
    entry = page.locator(".inbox-entry.unread")
    entry.wait_for()
    assert "teammate" in entry.inner_text() and "mentioned you" in entry.inner_text()
    assert "please check" in entry.inner_text()
    entry.get_by_role("link", name="Open").click()
    page.wait_for_selector(f"#comment-{comment.pk}")
    assert Item.objects.get(pk=item_id).data["text"] in page.content()
    assert Notification.objects.get().read_at is not None
    assert errors == []
