"""What a newcomer sees (issue 8 §5), through the HTTP client: styled error pages, the
settings page (blind order only where it applies, the live schema check), guidelines
Markdown, the project bar marking the current page, image thumbnails on the Items page,
the digits key hint and the API docs page."""

import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import permission_denied, server_error
from PIL import Image

from trainerdesk.lib.markup import render_markdown
from trainerdesk.workbench import services

pytestmark = pytest.mark.django_db

LLM_SCHEMA = {
    "fields": [
        {"name": "preference", "type": "pairwise", "source": "responses"},
    ]
}


def _check(client, project, text):
    return client.post(reverse("workbench:schema_check", args=[project.pk]), {"label_schema": text})


# --- error pages -------------------------------------------------------------------------


def test_missing_page_is_styled_with_the_navigation(client_for, owner, project):
    response = client_for(owner).get(reverse("workbench:project_detail", args=[9999]))
    assert response.status_code == 404
    text = response.content.decode()
    assert 'class="topbar"' in text and "Page not found" in text
    assert 'href="/api/v1/docs"' in text  # the signed-in top bar, not Django's bare page
    assert "Log out owner" in text


def test_another_organizations_project_gets_the_same_styled_404(client_for, outsider, project):
    response = client_for(outsider).get(reverse("workbench:project_detail", args=[project.pk]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert project.name not in response.content.decode()


def test_missing_page_for_a_visitor_offers_the_login(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert 'class="topbar"' in text and 'href="/accounts/login/"' in text


def test_forbidden_page_is_styled(owner):
    request = RequestFactory().get("/")
    request.user = owner
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    text = response.content.decode()
    assert 'class="topbar"' in text and "Not allowed" in text
    assert "Log out owner" in text


def test_expired_form_is_styled(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(reverse("workbench:project_new"), {"name": "x"})
    assert response.status_code == 403
    text = response.content.decode()
    assert 'class="topbar"' in text and "This form has expired" in text


def test_server_error_page_is_styled_without_a_request_context():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    text = response.content.decode()
    assert 'class="topbar"' in text and "Something went wrong" in text


# --- settings ----------------------------------------------------------------------------


def test_blind_setting_is_not_offered_on_a_text_project(client_for, owner, project):
    text = client_for(owner).get(reverse("workbench:project_settings", args=[project.pk])).content
    assert b'name="blind_order"' not in text
    assert b"Blind LLM evaluation" not in text


def test_blind_setting_is_offered_where_responses_are_compared(client_for, org, owner):
    llm = services.create_project(
        organization=org, created_by=owner, name="LLM", label_schema=LLM_SCHEMA
    )
    text = client_for(owner).get(reverse("workbench:project_settings", args=[llm.pk])).content
    assert b'name="blind_order"' in text


def test_saving_settings_of_a_text_project_leaves_blind_order_alone(client_for, owner, project):
    assert project.blind_order  # the default
    client = client_for(owner)
    url = reverse("workbench:project_settings", args=[project.pk])
    form = {
        "name": project.name,
        "instructions": project.instructions,
        "label_schema": json.dumps(project.label_schema),
        "overlap": project.overlap,
        "ordering": project.ordering,
    }
    assert client.post(url, form).status_code == 302
    project.refresh_from_db()
    assert project.blind_order


def test_settings_page_has_the_label_form_and_the_live_check(client_for, owner, project):
    text = client_for(owner).get(reverse("workbench:project_settings", args=[project.pk])).content
    assert b'id="schema-editor"' in text
    assert b"schema_editor.js" in text
    check = reverse("workbench:schema_check", args=[project.pk]).encode()
    assert b'hx-post="' + check + b'"' in text


def test_schema_check_accepts_a_valid_schema(client_for, owner, project):
    response = _check(client_for(owner), project, json.dumps(project.label_schema))
    assert response.status_code == 200
    assert "Schema is valid: topic (choice, 3 labels)" in response.content.decode()


def test_schema_check_names_the_field_of_a_bad_hotkey(client_for, owner, project):
    schema = json.loads(json.dumps(project.label_schema))
    schema["fields"][0]["labels"][1]["hotkey"] = "b"  # business has b already
    response = _check(client_for(owner), project, json.dumps(schema))
    assert response.status_code == 422
    text = response.content.decode()
    assert "fields[0] (&quot;topic&quot;).labels[1].hotkey: &quot;b&quot; is already used" in text


def test_schema_check_reports_bad_json_with_its_line(client_for, owner, project):
    response = _check(client_for(owner), project, '{"fields": [\n  {"name": }\n]}')
    assert response.status_code == 422
    assert "invalid JSON" in response.content.decode()
    assert "line 2" in response.content.decode()


def test_schema_check_is_for_managers_only(client_for, teammate, outsider, project):
    body = json.dumps(project.label_schema)
    assert _check(client_for(teammate), project, body).status_code == 404
    assert _check(client_for(outsider), project, body).status_code == 404


# --- guidelines, navigation ----------------------------------------------------------------


def test_guideline_lists_nested_under_a_numbered_step_stay_separate_items():
    html = render_markdown(
        "1. Ask who the story is about.\n"
        "   - A football club's share price is *business*.\n"
        "   - A minister's broadband plan is *politics*.\n"
        "2. Pick the headline's topic.\n"
    )
    assert html.count("<li>") == 4
    assert "<ol>" in html and "<ul>" in html
    assert "</li>\n<li>A minister" in html  # not run into the previous line


def test_guideline_tables_still_render():
    html = render_markdown("| Label | Key |\n|---|---|\n| business | `b` |\n")
    assert "<table>" in html and "<code>b</code>" in html


def test_project_page_guidelines_are_a_collapsible_preview(client_for, owner, project):
    project.instructions = "\n\n".join(f"Rule {i}." for i in range(40))
    project.save()
    text = client_for(owner).get(reverse("workbench:project_detail", args=[project.pk])).content
    assert b"data-collapsible" in text and b"Show all guidelines" in text


@pytest.mark.parametrize(
    ("name", "link"),
    [
        ("workbench:data_manager", "Items"),
        ("workbench:project_settings", "Settings"),
        ("workbench:project_members", "Members"),
        ("workbench:progress", "Progress"),
    ],
)
def test_project_bar_marks_the_current_page(client_for, owner, project, name, link):
    text = client_for(owner).get(reverse(name, args=[project.pk])).content.decode()
    assert text.count('aria-current="page"') == 1
    assert f'aria-current="page">{link}</a>' in text


def test_top_bar_marks_the_current_page(client_for, owner, project):
    text = client_for(owner).get(reverse("workbench:home")).content.decode()
    assert text.count('aria-current="page"') == 1
    assert f'href="{reverse("workbench:home")}" aria-current="page">Projects</a>' in text


# --- items page thumbnails, key hint, API docs -------------------------------------------------


def _png() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("L", (64, 64), 128).save(buf, "PNG")
    return SimpleUploadedFile("digit.png", buf.getvalue())


def test_items_page_of_an_image_project_shows_thumbnails_not_hashes(client_for, org, owner):
    schema = {
        "fields": [{"name": "digit", "type": "choice", "source": "image", "source_kind": "image",
                    "labels": ["0", "1"]}]
    }  # fmt: skip
    images = services.create_project(
        organization=org, created_by=owner, name="Digits", label_schema=schema
    )
    result = services.add_images(project=images, files=[_png()], by=owner)
    assert result.added == 1, result.errors
    sha = images.images.get().sha256
    text = client_for(owner).get(reverse("workbench:data_manager", args=[images.pk])).content
    thumb = reverse("workbench:image_file", args=[images.pk, sha]).encode()
    assert b'<img class="dm-thumb" src="' + thumb + b'"' in text
    assert b'{"image"' not in text  # the item's raw JSON is not the cell's text any more
    assert b'class="table-scroll"' in text


def test_digit_labels_keyed_by_their_own_names_are_hinted_once(client_for, org, owner, teammate):
    labels = [{"value": str(d), "hotkey": str(d)} for d in range(10)]
    schema = {"fields": [{"name": "digit", "type": "choice", "source": "text", "labels": labels}]}
    digits = services.create_project(
        organization=org, created_by=owner, name="Digits", label_schema=schema
    )
    services.set_project_member(project=digits, user=teammate, role="annotator", by=owner)
    services.add_items(project=digits, items=[{"text": "7"}], by=digits.created_by)
    text = client_for(teammate).get(reverse("workbench:annotate", args=[digits.pk])).content
    hint = text.decode().split('class="small muted keys">', 1)[1].split("</p>", 1)[0]
    assert "<kbd>0</kbd>–<kbd>9</kbd> the labels of the same name" in hint
    assert "<kbd>1</kbd> 1" not in hint


def test_api_docs_lead_back_to_the_app_and_name_the_token_page(client_for, owner):
    text = client_for(owner).get("/api/v1/docs").content.decode()
    assert 'href="/">← Back to the app' in text
    assert f'href="{reverse("accounts:tokens")}"' in text
    schema = client_for(owner).get("/api/v1/openapi.json").json()
    description = schema["info"]["description"]
    assert "Account →" not in description and "API tokens" in description
    settings_json = text.split('id="swagger-settings">', 1)[1].split("</script>", 1)[0]
    assert json.loads(settings_json)["docExpansion"] == "none"
