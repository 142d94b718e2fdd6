"""The funnel from the stage history, and a member's expected commissions.

Funnel: a submission *reached* a stage when its history has that stage or a later one
on the forward path (sourced → … → placed), so skipped stages (submitted straight to
interview) still count as passed and the counts never rise down the funnel. Conversion
of a stage = reached(next) / reached(this). Time in a stage = from the change into it
to the next change of that submission, over the stays that ended (median, seconds).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass

from trainerdesk.placements import fees
from trainerdesk.placements.models import FUNNEL, Offer, Placement, StageChange
from trainerdesk.placements.services.placements import commission_basis_points, fee_for_offer

RANK = {stage: i for i, stage in enumerate(FUNNEL)}


@dataclass(frozen=True)
class FunnelRow:
    stage: str
    label: str
    reached: int
    conversion: float | None  # to the next stage; None for the last or when none reached
    median_seconds: float | None
    stays: int  # ended stays the median is over


def funnel(changes=None) -> list[FunnelRow]:
    """`changes`: a StageChange queryset to read (default: all), e.g.
    `StageChange.objects.for_openings(ids)`."""
    qs = (changes if changes is not None else StageChange.objects.all()).in_order()
    furthest: dict[int, int] = {}
    durations: dict[str, list[float]] = defaultdict(list)
    previous = None
    for sub_id, to_stage, at in qs.values_list("submission_id", "to_stage", "at").iterator():
        if to_stage in RANK:
            furthest[sub_id] = max(furthest.get(sub_id, -1), RANK[to_stage])
        if previous is not None and previous[0] == sub_id:
            durations[previous[1]].append((at - previous[2]).total_seconds())
        previous = (sub_id, to_stage, at)
    reached = [sum(1 for r in furthest.values() if r >= i) for i in range(len(FUNNEL))]
    rows = []
    for i, stage in enumerate(FUNNEL):
        nxt = reached[i + 1] if i + 1 < len(FUNNEL) else None
        stays = durations.get(stage, [])
        rows.append(
            FunnelRow(
                stage=stage,
                label=stage.label,
                reached=reached[i],
                conversion=(nxt / reached[i]) if nxt is not None and reached[i] else None,
                median_seconds=statistics.median(stays) if stays else None,
                stays=len(stays),
            )
        )
    return rows


@dataclass(frozen=True)
class Expected:
    currency: str
    placed_cents: int  # the member's share of placements not fallen off
    offers_cents: int  # estimated share of fees for offers waiting or accepted, not placed


def expected_commissions(member) -> list[Expected]:
    placed: dict[str, int] = defaultdict(int)
    offered: dict[str, int] = defaultdict(int)
    for cur, cents in (
        Placement.objects.not_fallen_off()
        .filter(member=member)
        .values_list("currency", "member_commission_cents")
    ):
        placed[cur] += cents
    bp = commission_basis_points(member)
    offers = Offer.objects.filter(
        submission__member=member,
        submission__stage="offer",
        status__in=[Offer.Status.PENDING, Offer.Status.ACCEPTED],
    ).select_related("submission__opening")
    for offer in offers:
        estimate = offer_commission_estimate(offer, bp)
        if estimate is not None:
            offered[estimate[1]] += estimate[0]
    return [
        Expected(currency=c, placed_cents=placed.get(c, 0), offers_cents=offered.get(c, 0))
        for c in sorted(set(placed) | set(offered))
    ]


def offer_commission_estimate(offer: Offer, bp: int) -> tuple[int, str] | None:
    """The member's share if this offer became a placement; None when the role's fee
    terms cannot price it (no terms, or another currency)."""
    opening = offer.submission.opening
    if not opening.fee_type:
        return None
    try:
        fee = fee_for_offer(opening, offer)
    except fees.FeeTermsMissing:
        return None
    return fees.split_commission(fee.fee_cents, bp)[0], fee.currency
