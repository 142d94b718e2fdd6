"""Quality endpoints. Every project lookup goes through workbench access (404 for anything
the caller may not see); quality records are then looked up inside that project."""

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Query, Router, Schema, Status

from trainerdesk.lib.api_schemas import ErrorOut, InputSchema
from trainerdesk.lib.request_types import ApiRequest
from trainerdesk.quality import access as quality_access
from trainerdesk.quality import services as quality
from trainerdesk.quality.models import (
    GoldAccuracySnapshot,
    LabelErrorFinding,
    LabelErrorRun,
    Review,
)
from trainerdesk.workbench import access
from trainerdesk.workbench.api import MAX_ID, ObjectId, ProjectId

router = Router(tags=["quality"])


MAX_PAGE = 1000


# --- label-error detection ---------------------------------------------------------------


class LabelErrorRunIn(InputSchema):
    field: str | None = Field(
        None, description="A single-choice text field; the first such field when omitted."
    )
    folds: int = Field(5, description="Cross-validation folds (2-10); fewer are used when a "
                       "label has fewer items.")  # fmt: skip
    model: Literal["sgd", "logreg"] = Field(
        "sgd", description="sgd: SGD with log loss (fast); logreg: logistic regression."
    )
    seed: int = Field(0, ge=0, le=2**31 - 1)


class LabelErrorRunOut(Schema):
    id: int
    field: str
    status: str = Field(description="queued, running, done or failed.")
    progress: float = Field(description="0.0 to 1.0.")
    message: str
    parameters: dict
    folds_used: int | None
    label_source: str = Field(description="majority: majority vote over non-skipped answers.")
    classes: list[str]
    labels_as_of: datetime | None
    items_digest: str = Field(description="sha256 of the sorted `item id<TAB>label` lines used.")
    items_considered: int
    items_left_out: int = Field(description="Items without a final label or text.")
    issues_found: int
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_field(run: LabelErrorRun) -> str:
        return run.field_name

    @staticmethod
    def resolve_progress(run: LabelErrorRun) -> float:
        return 1.0 if run.status == run.Status.DONE else run.progress

    @staticmethod
    def resolve_created_by(run: LabelErrorRun) -> str | None:
        return run.created_by.get_username() if run.created_by else None


class FindingOut(Schema):
    id: int
    run: int
    item: int
    rank: int = Field(description="1 = most likely wrong.")
    given_label: str
    likely_label: str
    confidence_given: float = Field(description="Out-of-sample probability of the given label.")
    quality_score: float = Field(description="cleanlab label quality, 0 (wrong) to 1.")
    status: str = Field(description="open, confirmed_error or not_an_error.")
    corrected_label: str
    decided_by: str | None
    decided_at: datetime | None

    @staticmethod
    def resolve_run(f: LabelErrorFinding) -> int:
        return f.run_id

    @staticmethod
    def resolve_item(f: LabelErrorFinding) -> int:
        return f.item_id

    @staticmethod
    def resolve_decided_by(f: LabelErrorFinding) -> str | None:
        return f.decided_by.get_username() if f.decided_by else None


class FindingPage(Schema):
    findings: list[FindingOut]
    next_after_rank: int | None


class DecisionIn(InputSchema):
    decision: Literal["confirmed_error", "not_an_error", "open"]
    corrected_label: str | None = Field(
        None, description="With confirmed_error: the label that is right."
    )


@router.post(
    "/projects/{project_id}/label-errors/runs",
    response={202: LabelErrorRunOut, 409: ErrorOut},
    summary="Start a label-error run (manager)",
    description="Trains out-of-sample predictions (k-fold TF-IDF + linear model) on the "
    "final labels (majority vote) and ranks likely wrong labels with cleanlab. Runs in the "
    "background; poll the run. 409 while another run of the project is queued or running.",
)
def start_label_error_run(request: ApiRequest, project_id: ProjectId, body: LabelErrorRunIn):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    run = quality.start_label_error_run(
        project=project,
        by=request.auth,
        field_name=body.field,
        folds=body.folds,
        model=body.model,
        seed=body.seed,
    )
    run.refresh_from_db()
    return Status(202, run)


@router.get(
    "/projects/{project_id}/label-errors/runs",
    response=list[LabelErrorRunOut],
    summary="Label-error runs, newest first (managers and reviewers)",
)
def list_label_error_runs(request: ApiRequest, project_id: ProjectId):
    project = access.get_project_with_runs(request.auth, project_id, action="see_all_work")
    recent = LabelErrorRun.objects.filter(project=project).select_related("created_by")[:100]
    return list(recent)


@router.get(
    "/projects/{project_id}/label-errors/runs/{run_id}",
    response=LabelErrorRunOut,
    summary="One label-error run, with its progress (managers and reviewers)",
)
def get_label_error_run(request: ApiRequest, project_id: ProjectId, run_id: ObjectId):
    project = access.get_project_with_runs(request.auth, project_id, action="see_all_work")
    return quality_access.get_label_error_run_for_user(request.auth, project, run_id)


@router.get(
    "/projects/{project_id}/label-errors/runs/{run_id}/findings",
    response=FindingPage,
    summary="A run's findings, most suspect first, by keyset pages on rank",
)
def list_label_error_findings(
    request: ApiRequest,
    project_id: ProjectId,
    run_id: ObjectId,
    after_rank: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    status: Literal["open", "confirmed_error", "not_an_error"] | None = None,
):
    project = access.get_project_for_user(request.auth, project_id, action="see_all_work")
    run = quality_access.get_label_error_run_for_user(request.auth, project, run_id)
    qs = run.findings.filter(rank__gt=after_rank).select_related("decided_by")
    if status:
        qs = qs.filter(status=status)
    page = list(qs.order_by("rank")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "findings": list(page),
        "next_after_rank": page[-1].rank if more else None,
    }


@router.post(
    "/projects/{project_id}/label-errors/findings/{finding_id}/decision",
    response=FindingOut,
    summary="Record a reviewer's verdict on a finding (managers and reviewers)",
    description="confirmed_error (optionally with corrected_label), not_an_error, or open to "
    "take a verdict back. The verdict is recorded; annotations and final labels are not "
    "changed.",
)
def decide_label_error(
    request: ApiRequest, project_id: ProjectId, finding_id: ObjectId, body: DecisionIn
):
    project = access.get_project_for_user(request.auth, project_id, action="see_all_work")
    finding = quality_access.get_label_error_finding_for_user(request.auth, project, finding_id)
    finding = quality.decide_label_error(
        finding=finding,
        decision=body.decision,
        corrected_label=body.corrected_label,
        by=request.auth,
    )
    return finding


# --- review ---------------------------------------------------------------------------------


class ReviewQueueEntry(Schema):
    item_id: int
    external_id: str | None
    text: str = Field(description="The first text of the item's data, cut at 140 characters.")
    answers: int = Field(description="Non-skipped answers on the item.")
    agreeing: int = Field(description="How many of them equal the most common answer.")
    disagreement: bool = Field(description="The non-skipped answers differ.")
    low_score: bool = Field(description="A model's prediction scored below min_score.")
    reviewed: bool = Field(description="Every non-skipped annotation has a review.")


class ReviewOut(Schema):
    id: int
    item_id: int
    annotation_id: int | None = Field(description="Null once the annotation was sent back.")
    annotator: str
    reviewer: str
    decision: str
    reason: str
    fixed_answer: Any = None
    original_answer: Any = None
    sent_back: bool
    created_at: datetime

    @staticmethod
    def resolve_annotator(r: Review) -> str:
        return r.annotator_name

    @staticmethod
    def resolve_reviewer(r: Review) -> str:
        return r.reviewer.get_username()


class ReviewIn(InputSchema):
    annotation: int = Field(ge=1, le=MAX_ID, description="The annotation reviewed.")
    decision: Literal["accepted", "rejected", "fixed", "send_back"] = Field(
        description="send_back = rejected, and the item returns to the annotator's queue."
    )
    reason: str = Field("", max_length=2000, description="Required to reject; shown to them.")
    fixed_answer: dict[str, Any] | None = Field(
        None, description="For fixed: the reviewer's answer, validated by the label schema."
    )
    send_back: bool = Field(False, description="With rejected: also send it back.")


@router.get(
    "/projects/{project_id}/review/queue",
    response=list[ReviewQueueEntry],
    summary="Items to review (reviewers and managers)",
    description="Annotated items in id order; without `reviewed`, the ones with an "
    "unreviewed annotation first. scope: all, disagreement (the answers differ) or low "
    "(fewer agreeing answers than the overlap, or a prediction scored below min_score).",
)
def review_queue(
    request: ApiRequest,
    project_id: ProjectId,
    scope: Literal["all", "disagreement", "low"] = "all",
    reviewed: bool | None = None,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    min_score: Annotated[float, Query(ge=0, le=1)] = quality.LOW_SCORE,
):
    project = access.get_project_for_user(request.auth, project_id, action="review")
    entries = quality.review_queue(
        project=project, scope=scope, reviewed=reviewed, after=after, limit=limit,
        min_score=min_score,
    )  # fmt: skip
    return [
        {
            "item_id": e.item.pk,
            "external_id": e.item.external_id,
            "text": e.text,
            "answers": e.answers,
            "agreeing": e.agreeing,
            "disagreement": e.disagree,
            "low_score": e.low_score,
            "reviewed": e.reviewed,
        }
        for e in entries
    ]


@router.post(
    "/projects/{project_id}/reviews",
    response={201: ReviewOut, 409: ErrorOut},
    summary="Record a review decision (reviewers and managers)",
)
def post_review(request: ApiRequest, project_id: ProjectId, payload: ReviewIn):
    project = access.get_project_for_user(request.auth, project_id, action="review")
    annotation = access.get_annotation_for_user(request.auth, project, payload.annotation)
    send_back = payload.decision == "send_back" or payload.send_back
    review = quality.record_review(
        project=project,
        annotation=annotation,
        reviewer=request.auth,
        decision="rejected" if payload.decision == "send_back" else payload.decision,
        reason=payload.reason,
        fixed_answer=payload.fixed_answer,
        send_back=send_back,
    )
    return Status(201, review)


@router.get(
    "/projects/{project_id}/items/{item_id}/reviews",
    response=list[ReviewOut],
    summary="Every review of an item, oldest first (reviewers and managers)",
)
def item_reviews(request: ApiRequest, project_id: ProjectId, item_id: ObjectId):
    project = access.get_project_for_user(request.auth, project_id, action="review")
    item = access.get_item_for_user(request.auth, project, item_id)
    return list(quality.reviews_of_item(item=item))


# --- gold accuracy ----------------------------------------------------------------------------


class GoldAccuracyOut(Schema):
    annotator: str
    n: int = Field(description="Gold items answered (not skipped) in the window.")
    correct: int
    accuracy: float | None
    low: float | None = Field(description="95% Wilson interval, lower bound.")
    high: float | None
    status: str = Field(description="pass, fail or not_enough_data.")
    reason: str
    threshold: float
    min_items: int
    items_digest: str | None = Field(
        description="sha256 of the sorted `item id<TAB>annotation id` (null for annotators)."
    )
    item_ids: list[int] | None = Field(description="The gold items counted (null for annotators).")
    recorded_at: datetime | None = Field(
        None,
        description="For an annotator with feedback off: when the snapshot shown was recorded "
        "(they never see live numbers, which would reveal the gold items' answers).",
    )


class GoldItemOut(Schema):
    id: int
    external_id: str | None
    n: int
    correct: int
    accuracy: float | None


class GoldReportOut(Schema):
    annotators: list[GoldAccuracyOut]
    items: list[GoldItemOut] | None = Field(
        description="Gold items, hardest first (managers and reviewers; null for annotators)."
    )


class GoldSnapshotIn(InputSchema):
    since: datetime | None = Field(None, strict=False)
    until: datetime | None = Field(
        None, strict=False, description="Defaults to now, so it can be recomputed."
    )


class GoldSnapshotOut(Schema):
    id: int
    annotator: str
    computed_at: datetime
    since: datetime | None
    until: datetime | None
    n: int
    correct: int
    accuracy: float | None
    low: float | None
    high: float | None
    status: str
    passed: bool
    threshold: float
    min_items: int
    items_digest: str
    item_ids: list[int]
    annotation_ids: list[int]

    @staticmethod
    def resolve_annotator(s: GoldAccuracySnapshot) -> str:
        return s.annotator.get_username()


def _gold_row(row: quality.AnnotatorGold) -> dict:
    v = row.verdict.as_dict()
    return {
        "annotator": row.username,
        **{k: v[k] for k in ("n", "correct", "accuracy", "low", "high", "status", "reason")},
        "threshold": v["threshold"],
        "min_items": v["min_items"],
        "items_digest": row.digest,
        "item_ids": row.item_ids,
    }


def _own_gold_rows(project, user) -> list[dict]:
    """An annotator's own row, without item ids or digest (quality.own_gold_accuracy)."""
    own = quality.own_gold_accuracy(project=project, annotator=user)
    if own.verdict is None:
        return []
    v = own.verdict.as_dict()
    return [
        {
            "annotator": user.get_username(),
            **{k: v[k] for k in ("n", "correct", "accuracy", "low", "high", "status", "reason")},
            "threshold": v["threshold"],
            "min_items": v["min_items"],
            "items_digest": None,
            "item_ids": None,
            "recorded_at": own.recorded_at,
        }
    ]


@router.get(
    "/projects/{project_id}/gold/accuracy",
    response=GoldReportOut,
    summary="Accuracy on gold per annotator, with 95% Wilson intervals and pass/fail",
    description="Managers and reviewers see everyone and the gold items; an annotator sees "
    "only their own row, without item ids: live when the project gives gold feedback, "
    "otherwise the latest snapshot a manager recorded (window ignored). Optional window on "
    "the answers' time: since <= created_at < until.",
)
def gold_accuracy(
    request: ApiRequest,
    project_id: ProjectId,
    since: datetime | None = None,
    until: datetime | None = None,
):
    project = access.get_project_for_user(request.auth, project_id, action="view")
    if not access.can(project, "see_all_work"):
        return {"annotators": _own_gold_rows(project, request.auth), "items": None}
    report = quality.gold_accuracy(project=project, since=since, until=until)
    items = [
        {"id": s.item_id, "external_id": s.external_id, "n": s.n, "correct": s.correct,
         "accuracy": s.accuracy}
        for s in report.items
    ]  # fmt: skip
    return {"annotators": [_gold_row(r) for r in report.annotators], "items": items}


@router.post(
    "/projects/{project_id}/gold/snapshots",
    response={201: list[GoldSnapshotOut]},
    summary="Record each annotator's gold accuracy now (manager)",
)
def record_gold_snapshots(request: ApiRequest, project_id: ProjectId, body: GoldSnapshotIn):
    project = access.get_project_for_user(request.auth, project_id, action="manage")
    saved = quality.record_gold_snapshots(
        project=project, by=request.auth, since=body.since, until=body.until
    )
    ids = [s.pk for s in saved]
    rows = GoldAccuracySnapshot.objects.filter(pk__in=ids).select_related("annotator")
    return Status(201, rows)


@router.get(
    "/projects/{project_id}/gold/snapshots",
    response=list[GoldSnapshotOut],
    summary="Recorded gold-accuracy snapshots, newest first (managers and reviewers)",
)
def list_gold_snapshots(request: ApiRequest, project_id: ProjectId):
    project = access.get_project_for_user(request.auth, project_id, action="see_all_work")
    rows = GoldAccuracySnapshot.objects.filter(project=project).select_related("annotator")
    return rows[:500]


# --- agreement report and scorecards (qpage) ---------------------------------------------


class AgreementReportIn(InputSchema):
    levels: dict[str, Literal["nominal", "ordinal", "interval", "ratio"]] = Field(
        default_factory=dict,
        description="Krippendorff's alpha level per choice, pairwise or rating field "
        "(default: nominal for labels, ordinal for preferences and ratings).",
    )
    kappa_weights: dict[str, Literal["none", "linear", "quadratic"]] = Field(
        default_factory=dict,
        description="Cohen's kappa weights per such field (default: none for labels, linear "
        "for preferences, quadratic for ratings).",
    )


class AgreementReportSummary(Schema):
    id: int
    status: str = Field(description="queued, running, done or failed.")
    progress: float
    message: str = Field(description="Progress, or why the report failed.")
    parameters: dict
    created_by: str | None
    created_at: datetime
    computed_at: datetime | None
    item_count: int
    annotation_count: int
    digest: str


def _report_summary(rep) -> dict:
    return {
        "id": rep.pk,
        "status": rep.status,
        "progress": 1.0 if rep.status == rep.Status.DONE else rep.progress,
        "message": rep.message,
        "parameters": rep.parameters,
        "created_by": rep.created_by.get_username() if rep.created_by else None,
        "created_at": rep.created_at,
        "computed_at": rep.computed_at,
        "item_count": rep.item_count,
        "annotation_count": rep.annotation_count,
        "digest": rep.digest,
    }


def _report_document(project, rep) -> dict:
    """A finished report as the export's JSON document; a queued, running or failed one
    as its status and message (results null)."""
    from trainerdesk.quality.views import report_document

    if rep.status == rep.Status.DONE:
        return report_document(project, rep) | {"status": rep.status, "message": rep.message}
    return {
        "project": project.pk,
        "report": rep.pk,
        **{k: v for k, v in _report_summary(rep).items() if k != "id"},
        "results": None,
        "items": [],
    }


@router.post(
    "/projects/{project_id}/quality/report",
    response={202: dict, 409: ErrorOut},
    summary="Queue an agreement report (managers and reviewers)",
    description="Poll GET .../quality/reports/{id}. 400 names a field whose level or weights "
    "do not fit its answers; 409 while another report is being computed.",
)
def start_agreement_report(
    request: ApiRequest, project_id: ProjectId, body: AgreementReportIn | None = None
):
    project = access.get_project_for_user(request.auth, project_id, action="see_all_work")
    body = body or AgreementReportIn()
    # The schema's Literal values are the strings the service takes (dict is invariant).
    levels: dict[str, str] = dict(body.levels)
    kappa_weights: dict[str, str] = dict(body.kappa_weights)
    rep = quality.start_agreement_report(
        project=project, levels=levels, kappa_weights=kappa_weights, by=request.auth
    )
    return Status(202, {"id": rep.pk, "status": rep.status})


@router.get(
    "/projects/{project_id}/quality/report",
    response=dict,
    summary="The latest agreement report (managers and reviewers)",
)
def get_agreement_report(request: ApiRequest, project_id: ProjectId):
    """The newest report. Finished: the governance evidence (computed_at, digest,
    parameters, per-field results, annotator pairs, per-item scores). Queued, running or
    failed: its status and message, with `latest_done` the id of the newest finished one
    (or null). 404 only while the project has no report at all."""
    from django.http import Http404

    from trainerdesk.quality.models import AgreementReport

    project = access.get_project_with_runs(request.auth, project_id, action="see_all_work")
    rep = AgreementReport.objects.filter(project=project).select_related("created_by").first()
    if rep is None:
        raise Http404("No agreement report yet")
    done = quality.latest_agreement_report(project)
    return _report_document(project, rep) | {"latest_done": done.pk if done else None}


@router.get(
    "/projects/{project_id}/quality/reports",
    response=list[AgreementReportSummary],
    summary="Agreement reports, newest first, with status and message (managers and reviewers)",
)
def list_agreement_reports(request: ApiRequest, project_id: ProjectId):
    from trainerdesk.quality.models import AgreementReport

    project = access.get_project_with_runs(request.auth, project_id, action="see_all_work")
    reports = AgreementReport.objects.filter(project=project).select_related("created_by")
    return [_report_summary(r) for r in reports[:100]]


@router.get(
    "/projects/{project_id}/quality/reports/{report_id}",
    response=dict,
    summary="One agreement report: its results, or its status and why it failed",
)
def get_agreement_report_by_id(request: ApiRequest, project_id: ProjectId, report_id: ObjectId):
    project = access.get_project_with_runs(request.auth, project_id, action="see_all_work")
    rep = quality_access.get_agreement_report_for_user(request.auth, project, report_id)
    return _report_document(project, rep)


class AnnotatorRowOut(Schema):
    annotator: str
    items_done: int
    items_skipped: int
    gold_accuracy: float | None
    gold_low: float | None = Field(description="95% Wilson interval, lower bound.")
    gold_n: int
    gold_status: str | None = Field(description="pass, fail, not_enough_data; null: no gold.")
    agreement: float | None = Field(
        description="Mean Cohen's kappa over their annotator pairs in the latest report."
    )
    agreement_pairs: int
    review_acceptance: float | None
    reviewed: int
    median_lead_time: float | None = Field(description="Seconds.")


@router.get(
    "/projects/{project_id}/annotators",
    response=list[AnnotatorRowOut],
    summary="Everyone who annotated, with the scorecard's key figures (managers and reviewers)",
    description="sort: annotator, done, gold, gold_low, agreement, acceptance or lead_time; a "
    "leading - reverses. Figures not available sort last.",
)
def list_annotators(request: ApiRequest, project_id: ProjectId, sort: str = "annotator"):
    from trainerdesk.quality import scorecards

    project = access.get_project_for_user(request.auth, project_id, action="see_all_work")
    return [r.as_dict() for r in scorecards.annotator_rows(project=project, sort=sort)]


@router.get("/projects/{project_id}/annotators/{username}/scorecard", response=dict)
def get_scorecard(request: ApiRequest, project_id: ProjectId, username: str):
    """An annotator's scorecard as computed now; annotators may read only their own."""
    project = access.get_project_for_user(request.auth, project_id, action="view")
    user = quality_access.get_scorecard_annotator_for_user(request.auth, project, username)
    live_gold = access.can(project, "see_all_work")  # see quality.own_gold_accuracy
    return quality.build_scorecard(project=project, annotator=user, live_gold=live_gold)


@router.post("/projects/{project_id}/annotators/{username}/scorecard", response={201: dict})
def record_scorecard(request: ApiRequest, project_id: ProjectId, username: str):
    """Record the scorecard (stored with its digest, so its numbers are reproducible)."""
    project = access.get_project_for_user(request.auth, project_id, action="view")
    user = quality_access.get_scorecard_annotator_for_user(request.auth, project, username)
    card = quality.record_scorecard(
        project=project,
        annotator=user,
        by=request.auth,
        live_gold=access.can(project, "see_all_work"),
    )
    return Status(201, {"id": card.pk, "digest": card.digest, "data": card.data})
