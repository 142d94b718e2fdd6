import pytest

from trainerdesk.contracts import placeholders, services
from trainerdesk.contracts.models import ContractTemplate
from trainerdesk.lib.errors import InvalidInput


def test_names_in_order_of_first_use():
    body = "{{ b.x }} and {{a}} then {{ b.x }} again, {{ member.display_name }}"
    assert placeholders.placeholder_names(body) == ["b.x", "a", "member.display_name"]


@pytest.mark.parametrize("bad", ["{{ Member.name }}", "{{ a-b }}", "{{ a.b() }}", "{{ open"])
def test_malformed_placeholder_names_its_line(bad):
    with pytest.raises(InvalidInput, match=r"body line 2: .* is not a placeholder"):
        placeholders.placeholder_names(f"fine {{{{ a }}}}\nthen {bad}\n")


def test_missing_value_names_the_placeholder():
    with pytest.raises(InvalidInput) as exc:
        placeholders.render_body("Hi {{ a }} and {{ b.c }}", {"a": "x", "b.c": "  "})
    assert exc.value.errors == ["{{ b.c }}: no value to fill in"]


def test_values_are_escaped_and_never_markdown():
    html = placeholders.render_body(
        "# Title\n\nDear **{{ name }}**, see [terms]({{ url }}).",
        {"name": "<script>alert(1)</script> *not bold* & co", "url": '"><img src=x>'},
    )
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "*not bold* &amp; co" in html and "<em>" not in html
    assert "<strong>" in html and "<h1>Title</h1>" in html  # the template's own Markdown
    assert "<img" not in html


def test_the_template_body_is_sanitised_too():
    html = placeholders.render_body("<script>x()</script><p onclick='y()'>hi</p>", {})
    assert "<script>" not in html and "onclick" not in html and "hi" in html


def test_publishing_refuses_a_placeholder_the_kind_cannot_fill(staff):
    template = ContractTemplate.objects.get(kind="member_agreement")
    with pytest.raises(
        InvalidInput, match=r"\{\{ opening.fee \}\}: not a value a member_agreement"
    ):
        services.publish_template_version(
            template=template, body="Fee: {{ opening.fee }}", by=staff
        )
    assert template.versions.count() == 1
