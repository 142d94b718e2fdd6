"""Daily heads of the audit log's hash chains (issue 13, "Audit log").

A head is the chain's state at the end of one UTC day: the hash of that day's last event
(by seq), its event id and seq (the chain's length then). Written down outside the system
(exported as CSV/JSON), the heads make a rewritten history detectable: anyone who changes
an old event and re-chains every later hash still cannot make the heads of the days since
match the ones on paper. Stored here (governance owns the migration; accounts owns the
events) by services/heads.py, which computes them from the events' content, never copies
the stored hash.
"""

from __future__ import annotations

from django.db import models


class ChainHead(models.Model):
    """One chain's head at the end of one UTC day. chain is lib.audit.chain_key
    ("org:ID" or "global"); organization_id a plain id like the events' (a deleted
    organization's heads stay)."""

    chain = models.CharField(max_length=40)
    organization_id = models.BigIntegerField(null=True, blank=True)
    day = models.DateField()
    # The last event of the day: its id, its seq (= events in the chain up to it), the
    # chain hash recomputed from the content up to it.
    event_id = models.BigIntegerField()
    seq = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)
    day_events = models.PositiveIntegerField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["chain", "day"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "day"], name="chain_head_day_unique")
        ]
        indexes = [models.Index(fields=["organization_id", "day"], name="chain_head_org_day")]

    def __str__(self) -> str:
        return f"{self.chain} at end of {self.day}: seq {self.seq} {self.head_hash[:12]}"
