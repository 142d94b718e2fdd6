"""Minimise (Art. 5(1)(c)): the brief forbids birth date, gender, photo and health data.
No model of any installed app may have a field named for them."""

import re

from django.apps import apps

FORBIDDEN = re.compile(
    r"(^|_)(birth|birthday|birthdate|dob|gender|sex|photo|photograph|portrait|avatar|"
    r"health|medical|disability|diagnosis)(_|$)"
)


def test_no_model_has_a_forbidden_field():
    found = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if FORBIDDEN.search(field.name.lower())
    ]
    assert found == []


def test_the_scan_would_find_one():
    assert FORBIDDEN.search("date_of_birth") and FORBIDDEN.search("gender")
    assert FORBIDDEN.search("profile_photo") and not FORBIDDEN.search("photometry_x")
