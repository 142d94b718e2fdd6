"""Comments on items: threads, Markdown, @mentions and the inbox, who may see what, and
the item page, the annotation page's panel and the API around them."""

import pytest

from conftest import _user
from trainerdesk.accounts.services import add_member
from trainerdesk.workbench import services
from trainerdesk.workbench.models import Comment, Item, Notification

API = "/api/v1"


@pytest.fixture
def reviewer(org, project):
    user = _user("rita")
    add_member(organization=org, user=user)
    services.set_project_member(project=project, user=user, role="reviewer", by=None)
    return user


@pytest.fixture
def item(project):
    return Item.objects.filter(project=project).order_by("id").first()


def _answer(project, user, item):
    services.submit_annotation(project=project, item=item, user=user, answer={"topic": "sport"})


def _url(project, item, suffix=""):
    return f"/projects/{project.pk}/items/{item.pk}/{suffix}"


# --- services ---------------------------------------------------------------------------------


def test_replies_point_at_the_threads_first_comment(project, item, owner, reviewer):
    root = services.post_comment(project=project, item=item, author=owner, body="Odd?").comment
    first = services.post_comment(
        project=project, item=item, author=reviewer, body="Yes", parent=root
    ).comment
    second = services.post_comment(
        project=project, item=item, author=owner, body="Fixing", parent=first
    ).comment
    assert first.parent_id == root.pk
    assert second.parent_id == root.pk  # a reply to a reply stays in the same thread


def test_reply_on_another_item_is_refused(project, item, owner):
    root = services.post_comment(project=project, item=item, author=owner, body="Odd?").comment
    other = Item.objects.filter(project=project).exclude(pk=item.pk).first()
    with pytest.raises(services.InvalidInput, match="parent"):
        services.post_comment(project=project, item=other, author=owner, body="x", parent=root)


def test_empty_comment_is_refused_naming_the_field(project, item, owner):
    with pytest.raises(services.InvalidInput, match="body: write something"):
        services.post_comment(project=project, item=item, author=owner, body="   ")


def test_mentions_notify_members_who_can_see_the_comment(
    project, item, owner, teammate, reviewer, outsider
):
    result = services.post_comment(
        project=project,
        item=item,
        author=owner,
        body="@rita and @teammate, see this. Also @outsider, @ghost and mail a@rita.org.",
    )
    assert result.notified == ["rita"]
    assert dict(result.not_notified) == {
        "teammate": "cannot see comments on this item",  # an annotator who never had it
        "outsider": "not a member of this project",
        "ghost": "not a member of this project",
    }
    assert list(Notification.objects.values_list("user__username", "kind")) == [("rita", "mention")]


def test_annotator_on_the_item_is_notified(project, item, owner, teammate):
    _answer(project, teammate, item)
    result = services.post_comment(project=project, item=item, author=owner, body="@teammate?")
    assert result.notified == ["teammate"]


def test_annotators_are_not_notified_when_comments_are_off_for_them(project, item, owner, teammate):
    _answer(project, teammate, item)
    services.update_project(project=project, by=owner, annotators_see_comments=False)
    project.refresh_from_db()
    result = services.post_comment(project=project, item=item, author=owner, body="@teammate")
    assert result.not_notified == [("teammate", "cannot see comments on this item")]
    assert not Notification.objects.exists()


def test_reply_notifies_the_other_participants(project, item, owner, teammate, reviewer):
    _answer(project, teammate, item)
    root = services.post_comment(project=project, item=item, author=owner, body="Odd?").comment
    services.post_comment(project=project, item=item, author=reviewer, body="Yes", parent=root)
    reply = services.post_comment(
        project=project, item=item, author=teammate, body="Agreed @rita", parent=root
    ).comment
    kinds = dict(Notification.objects.filter(comment=reply).values_list("user__username", "kind"))
    assert kinds == {"owner": "reply", "rita": "mention"}  # never the replier themself
    assert Notification.objects.filter(user=owner).count() == 2


def test_editing_notifies_only_new_mentions(project, item, owner, reviewer):
    comment = services.post_comment(
        project=project, item=item, author=owner, body="@rita look"
    ).comment
    result = services.edit_comment(comment=comment, by=owner, body="@rita look again")
    assert result.notified == ["rita"]
    assert Notification.objects.count() == 1
    comment.refresh_from_db()
    assert comment.edited_at is not None


def test_only_the_author_edits_or_deletes(project, item, owner, reviewer):
    comment = services.post_comment(project=project, item=item, author=owner, body="x").comment
    with pytest.raises(services.InvalidInput, match="your own"):
        services.edit_comment(comment=comment, by=reviewer, body="y")
    with pytest.raises(services.InvalidInput, match="your own"):
        services.delete_comment(comment=comment, by=reviewer)


def test_deleting_a_thread_start_keeps_the_replies(project, item, owner, reviewer):
    root = services.post_comment(project=project, item=item, author=owner, body="Odd?").comment
    services.post_comment(project=project, item=item, author=reviewer, body="Yes", parent=root)
    services.delete_comment(comment=root, by=owner)
    root.refresh_from_db()
    assert root.is_deleted and Comment.objects.count() == 2
    lone = services.post_comment(project=project, item=item, author=owner, body="alone").comment
    services.delete_comment(comment=lone, by=owner)
    assert not Comment.objects.filter(pk=lone.pk).exists()


# --- pages ------------------------------------------------------------------------------------


def test_item_page_shows_data_answers_and_sanitised_markdown(
    client_for, project, item, owner, teammate
):
    _answer(project, teammate, item)
    services.post_comment(
        project=project,
        item=item,
        author=owner,
        body="**bold** <script>alert(1)</script><img src=x onerror=alert(2)>",
    )
    # Read by someone else, so the page has no edit box holding the raw text.
    response = client_for(teammate).get(_url(project, item))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>bold</strong>" in html
    assert "<script>alert" not in html and "onerror" not in html
    assert item.data["text"] in html and "sport" in html


def test_post_and_reply_with_htmx_and_plain_forms(client_for, project, item, owner, reviewer):
    client = client_for(owner)
    response = client.post(
        _url(project, item, "comments/"), {"body": "Check @rita @ghost"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="thread"' in html and "<html" not in html  # the partial only
    assert "Notified: @rita" in html
    assert "@ghost was not notified: not a member of this project" in html
    root = Comment.objects.get()

    response = client.post(_url(project, item, "comments/"), {"body": "Me too", "parent": root.pk})
    reply = Comment.objects.get(parent=root)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{reply.pk}")


def test_empty_comment_over_htmx_is_a_422_naming_the_field(client_for, project, item, owner):
    response = client_for(owner).post(
        _url(project, item, "comments/"), {"body": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert "body: write something" in response.content.decode()


def test_edit_and_delete_own_comment_through_the_page(client_for, project, item, owner):
    comment = services.post_comment(project=project, item=item, author=owner, body="typo").comment
    client = client_for(owner)
    edit = f"/projects/{project.pk}/comments/{comment.pk}/edit/"
    response = client.post(edit, {"body": "fixed"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "fixed" in response.content.decode()
    response = client.post(f"/projects/{project.pk}/comments/{comment.pk}/delete/")
    assert response.status_code == 302
    assert not Comment.objects.exists()


def test_outsider_gets_404_everywhere(client_for, project, item, owner, outsider):
    comment = services.post_comment(project=project, item=item, author=owner, body="x").comment
    client = client_for(outsider)
    assert client.get(_url(project, item)).status_code == 404
    assert client.get(_url(project, item, "comments/")).status_code == 404
    assert client.post(_url(project, item, "comments/"), {"body": "hi"}).status_code == 404
    edit = f"/projects/{project.pk}/comments/{comment.pk}/edit/"
    assert client.post(edit, {"body": "mine"}).status_code == 404
    assert client.get(f"{API}/projects/{project.pk}/items/{item.pk}/comments").status_code == 404
    assert Comment.objects.get().body == "x"


def test_annotator_sees_comments_only_on_reached_items_and_when_allowed(
    client_for, project, item, owner, teammate
):
    services.post_comment(project=project, item=item, author=owner, body="Note")
    client = client_for(teammate)
    assert client.get(_url(project, item)).status_code == 404  # never worked on it
    _answer(project, teammate, item)
    assert client.get(_url(project, item)).status_code == 200
    assert client.get(f"{API}/projects/{project.pk}/items/{item.pk}/comments").status_code == 200

    services.update_project(project=project, by=owner, annotators_see_comments=False)
    assert client.get(_url(project, item)).status_code == 404
    assert client.post(_url(project, item, "comments/"), {"body": "hi"}).status_code == 404
    api = f"{API}/projects/{project.pk}/items/{item.pk}/comments"
    assert client.get(api).status_code == 404
    assert client.post(api, {"body": "hi"}, content_type="application/json").status_code == 404


def test_settings_toggle_comments_for_annotators(client_for, project, owner):
    form = {
        "name": project.name,
        "instructions": project.instructions,
        "label_schema": '{"fields": [{"name": "topic", "type": "choice", "source": "text", '
        '"labels": [{"value": "sport"}]}]}',
        "overlap": 1,
        "ordering": "sequential",
    }
    client = client_for(owner)
    page = client.get(f"/projects/{project.pk}/settings/").content.decode()
    assert 'name="annotators_see_comments"' in page
    response = client.post(f"/projects/{project.pk}/settings/", form)
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.annotators_see_comments is False


def test_annotation_page_has_the_comments_panel_only_when_allowed(
    client_for, project, owner, teammate
):
    client = client_for(teammate)
    page = client.get(f"/projects/{project.pk}/annotate/").content.decode()
    assert 'id="comments-panel"' in page and "comments.js" in page
    services.update_project(project=project, by=owner, annotators_see_comments=False)
    page = client.get(f"/projects/{project.pk}/annotate/").content.decode()
    assert 'id="comments-panel"' not in page


def test_data_manager_rows_link_to_the_item_page(client_for, project, item, owner):
    page = client_for(owner).get(f"/projects/{project.pk}/items/").content.decode()
    assert f'href="{_url(project, item)}"' in page


# --- inbox ------------------------------------------------------------------------------------


def test_inbox_lists_unread_first_and_marks_read(client_for, project, item, owner, reviewer):
    first = services.post_comment(project=project, item=item, author=owner, body="@rita one")
    second = services.post_comment(project=project, item=item, author=owner, body="@rita two")
    n_first = Notification.objects.get(comment=first.comment)
    n_second = Notification.objects.get(comment=second.comment)
    client = client_for(reviewer)

    page = client.get("/inbox/").content.decode()
    assert 'aria-label="2 unread"' in page  # the count in the top bar
    assert page.index("@rita two") < page.index("@rita one")

    client.post("/inbox/read/", {"notification": n_second.pk})
    page = client.get("/inbox/").content.decode()
    assert 'aria-label="1 unread"' in page
    assert page.index("@rita one") < page.index("@rita two")  # unread first

    response = client.get(f"/inbox/{n_first.pk}/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{first.comment.pk}")
    n_first.refresh_from_db()
    assert n_first.read_at is not None
    assert "unread" not in client.get("/inbox/").content.decode().split("<main")[0]


def test_mark_all_read_and_others_entries_untouched(client_for, project, item, owner, reviewer):
    services.post_comment(project=project, item=item, author=reviewer, body="@owner hi")
    services.post_comment(project=project, item=item, author=owner, body="@rita hi")
    client_for(reviewer).post("/inbox/read/")
    assert Notification.objects.get(user=reviewer).read_at is not None
    assert Notification.objects.get(user=owner).read_at is None


def test_inbox_hides_comments_annotators_may_no_longer_read(
    client_for, project, item, owner, teammate
):
    _answer(project, teammate, item)
    services.post_comment(project=project, item=item, author=owner, body="@teammate secret")
    client = client_for(teammate)
    assert "secret" in client.get("/inbox/").content.decode()
    services.update_project(project=project, by=owner, annotators_see_comments=False)
    page = client.get("/inbox/").content.decode()
    assert "secret" not in page and "unread" not in page.split("<main")[0]
    assert client.get(f"{API}/inbox").json() == []


def test_outsider_inbox_is_empty(client_for, project, item, owner, outsider, reviewer):
    services.post_comment(project=project, item=item, author=owner, body="@rita private")
    assert client_for(outsider).get(f"{API}/inbox").json() == []


# --- API --------------------------------------------------------------------------------------


def test_api_comment_reply_list_and_inbox(client_for, project, item, owner, reviewer):
    client = client_for(owner)
    base = f"{API}/projects/{project.pk}"
    response = client.post(
        f"{base}/items/{item.pk}/comments",
        {"body": "Look @rita @ghost"},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["notified"] == ["rita"]
    assert body["not_notified"] == [{"username": "ghost", "reason": "not a member of this project"}]
    root = body["comment"]["id"]

    client = client_for(reviewer)
    response = client.post(
        f"{base}/comments/{root}/replies", {"body": "On it"}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["comment"]["parent"] == root
    listed = client.get(f"{base}/items/{item.pk}/comments").json()
    assert [c["body"] for c in listed] == ["Look @rita @ghost", "On it"]

    inbox = client.get(f"{API}/inbox?unread=true").json()
    assert [(n["kind"], n["item"]) for n in inbox] == [("mention", item.pk)]
    marked = client.post(f"{API}/inbox/read", {}, content_type="application/json").json()
    assert marked == {"marked": 1}
    assert client.get(f"{API}/inbox?unread=true").json() == []


def test_api_errors_name_the_field(client_for, project, item, owner):
    client = client_for(owner)
    url = f"{API}/projects/{project.pk}/items/{item.pk}/comments"
    response = client.post(url, {"body": ""}, content_type="application/json")
    assert response.status_code == 422 and "payload.body" in response.json()["message"]
    response = client.post(url, {"body": "x", "parent": 999999}, content_type="application/json")
    assert response.status_code == 404
    response = client.post(f"{API}/inbox/read", {"ids": ["a"]}, content_type="application/json")
    assert response.status_code == 422 and "ids" in response.json()["message"]


def test_api_project_setting_for_annotator_comments(client_for, project, owner):
    client = client_for(owner)
    url = f"{API}/projects/{project.pk}"
    assert client.get(url).json()["annotators_see_comments"] is True
    response = client.patch(
        url, {"annotators_see_comments": False}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["annotators_see_comments"] is False
    project.refresh_from_db()
    assert project.annotators_see_comments is False
