import datetime

from trainerdesk.privacy import registry
from trainerdesk.privacy.models import one_month_after
from trainerdesk.privacy.registry import ERASED, Subject


def test_one_month_after_clamps_to_the_month_end():
    assert one_month_after(datetime.date(2026, 1, 15)) == datetime.date(2026, 2, 15)
    assert one_month_after(datetime.date(2026, 1, 31)) == datetime.date(2026, 2, 28)
    assert one_month_after(datetime.date(2028, 1, 31)) == datetime.date(2028, 2, 29)
    assert one_month_after(datetime.date(2026, 12, 31)) == datetime.date(2027, 1, 31)


def test_bao_retention_runs_seven_years_from_the_end_of_the_year():
    assert registry.bao_until(datetime.date(2026, 3, 1)) == datetime.date(2033, 12, 31)


def test_subject_merges_ids_and_says_who():
    merged = Subject(email="a@example.org").merged(Subject(user_id=3, email="b@example.org"))
    assert merged == Subject(user_id=3, email="a@example.org")
    assert Subject().is_empty and not merged.is_empty
    assert merged.describe() == "user #3, a@example.org"


def test_scrub_replaces_every_string_holding_a_personal_value():
    value = {"location": {"before": "Hallstatt", "after": "Linz"}, "n": 3, "l": ["x HALLSTATT"]}
    assert registry.scrub(value, {"hallstatt"}) == {
        "location": {"before": ERASED, "after": "Linz"},
        "n": 3,
        "l": [ERASED],
    }


def test_every_app_with_personal_data_is_registered():
    assert {
        "accounts",
        "network",
        "placements",
        "vetting",
        "careers",
        "privacy",
        "workbench",
        "billing",
        "invoicing",
        "payouts",
        "contracts",
        "governance",
    } <= set(registry.registered_apps())
