"""The bias-audit demo: real Toronto arrests rows, the recorded outcome as an imported
annotation (never the reference), an audit whose numbers are fairness.py's on the rows."""

import pytest

from trainerdesk.accounts import services as accounts
from trainerdesk.governance import demo, fairness, fairness_data
from trainerdesk.governance.models import BiasAudit
from trainerdesk.workbench import demo as workbench_demo
from trainerdesk.workbench.models import Project

pytestmark = pytest.mark.django_db


def test_demo_imports_outcomes_as_labels_and_audits_them_idempotently():
    try:
        people = fairness_data.load_arrests()[:200]
    except fairness_data.DatasetUnavailable:
        pytest.skip("scikit-lego is not installed")
    manager = workbench_demo._user(workbench_demo.MANAGER)[0]
    accounts.create_organization(name=workbench_demo.ORG_NAME, owner=manager)
    first = demo.load_bias_demo(limit=200)
    again = demo.load_bias_demo(limit=200)
    assert first == again
    project = Project.objects.get(pk=first["project"])
    assert project.items.count() == 200
    assert not project.items.filter(reference__isnull=False).exists()
    assert set(project.annotations.values_list("imported_annotator", flat=True)) == {demo.SOURCE}
    audit = BiasAudit.objects.get(project=project)
    expected = fairness.label_parity(
        [p["label"] for p in people],
        {"colour": [p["colour"] for p in people]},
        positive="released",
        privileged="White",
    )
    assert audit.parity == expected.as_dict() and audit.item_count == 200


def test_a_tiny_demo_skips_the_audit_instead_of_failing():
    try:
        fairness_data.load_arrests()
    except fairness_data.DatasetUnavailable:
        pytest.skip("scikit-lego is not installed")
    manager = workbench_demo._user(workbench_demo.MANAGER)[0]
    accounts.create_organization(name=workbench_demo.ORG_NAME, owner=manager)
    summary = demo.load_bias_demo(limit=1)
    assert summary["audit"] is None and not BiasAudit.objects.exists()
