"""Migration 0002 installs the immutability triggers on this database, and going back
drops them (an issued row can then be changed; forward again refuses it)."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from trainerdesk.invoicing import services
from trainerdesk.invoicing.models import Invoice


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
def test_triggers_forward_and_back(placement, staff):
    invoice = services.issue_invoice(
        invoice=services.draft_placement_invoice(placement=placement, by=staff), by=staff
    )
    try:
        _migrate(("invoicing", "0001_initial"))
        Invoice.objects.filter(pk=invoice.pk).update(customer_name="changed")  # no trigger
        _migrate(("invoicing", "0002_issued_invoices_immutable"))
        with pytest.raises(IntegrityError, match="immutable"), transaction.atomic():
            Invoice.objects.filter(pk=invoice.pk).update(customer_name="again")
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
