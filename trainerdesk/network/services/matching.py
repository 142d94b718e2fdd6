"""Matching: rank an opening's candidates, and the reverse view for one candidate.

The rule is `network/matching.py` (pure, NumPy); this module reads its inputs in a fixed
number of queries whatever the pool's size (`read_inputs`: three, plus one per language
asked): the hard filters run in the database (a candidate's own row in one scan that
also counts the pool; languages from the covering index `language_match`, intersected
here; the same rule as the core's, tested equal), so only the passing candidates'
columns and their valid evidence on the opening's skills travel, plus the first failing
ones for their reasons; then the core scores and orders, and the service stores the
result.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone

from trainerdesk.lib import audit
from trainerdesk.lib.digest import LineDigest
from trainerdesk.lib.errors import ConflictError, InvalidInput
from trainerdesk.lib.jsonutil import iso_utc
from trainerdesk.lib.lazy import lazy_module

if TYPE_CHECKING:
    import numpy as np

    from trainerdesk.network import matching as core
else:  # NumPy loads on first use (lib/lazy.py): the web processes import this module
    np = lazy_module("numpy")
    core = lazy_module("trainerdesk.network.matching")
from trainerdesk.network.models import (
    Candidate,
    CandidateLanguage,
    Member,
    Opening,
    Ranking,
    Requirement,
)
from trainerdesk.vetting.models import Assessment, Domain, Evidence, TaskType

# How many ranked candidates (and hard-filter failures) a Ranking row keeps explained.
KEEP = 200


def _rank_case() -> Case:
    # Built per call, not at import: the core (and NumPy) loads on first use.
    return Case(
        *(When(level=level, then=Value(rank)) for level, rank in core.LEVEL_RANK.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class Spec:
    """An opening's requirements in the core's terms."""

    hard: list[core.HardRequirement]
    measured: list[core.MeasuredRequirement]
    skills: list[tuple[str, str]]  # (task type, domain) per skill index

    def digest_lines(self) -> list[tuple]:
        lines: list[tuple] = [("rule", core.RULE, core.RULE_VERSION)]
        for h in self.hard:
            lines.append(("hard", h.key, h.kind, h.language, h.level, h.region, h.hours))
        for m in self.measured:
            task_type, domain = self.skills[m.skill]
            lines.append(("measured", m.key, m.kind, task_type, domain, m.threshold, m.weight))
        return lines


def _skill_label(task_type: str, domain: str) -> str:
    return f"{TaskType(task_type).label} / {Domain(domain).label}"


def opening_spec(opening: Opening, requirements: Sequence[Requirement] | None = None) -> Spec:
    """The opening's requirements, checked (InvalidInput naming the requirement's field)."""
    reqs = list(opening.requirements.all()) if requirements is None else list(requirements)
    errors: list[str] = []
    hard: list[core.HardRequirement] = []
    pending: list[tuple[Requirement, tuple[str, str]]] = []
    for req in reqs:
        where = f"requirements[{req.pk}]"
        if req.kind == "language":
            if not req.language or req.level not in core.LEVEL_RANK:
                errors.append(
                    f"{where}.level: a language requirement needs a code and a "
                    f"level among {', '.join(core.CEFR)}"
                )
                continue
            hard.append(
                core.HardRequirement(
                    str(req.pk), "language", language=req.language.lower(), level=req.level
                )
            )
        elif req.kind == "work_authorisation":
            if not req.region:
                errors.append(f"{where}.region: a country code or EU is required")
                continue
            hard.append(
                core.HardRequirement(str(req.pk), "work_authorisation", region=req.region.upper())
            )
        elif req.kind == "availability":
            if req.hours is None:
                errors.append(f"{where}.hours: hours per week are required")
                continue
            hard.append(core.HardRequirement(str(req.pk), "availability", hours=req.hours))
        else:
            if req.kind == "lead_time" and not req.threshold:
                errors.append(
                    f"{where}.threshold: a lead-time requirement needs a limit in seconds"
                )
                continue
            # A requirement without its own skill is about the opening's.
            pending.append(
                (req, (req.task_type or opening.task_type, req.domain or opening.domain))
            )
    if errors:
        raise InvalidInput(errors)
    skills = sorted({skill for _, skill in pending})
    titles: dict[tuple[str, str], str] = {}
    if skills:
        wanted = Q()
        for task_type, domain in skills:
            wanted |= Q(task_type=task_type, domain=domain)
        for a in Assessment.objects.filter(wanted, status="active").order_by("-id"):
            titles[(a.task_type, a.domain)] = a.title
    measured = [
        core.MeasuredRequirement(
            key=str(req.pk),
            kind=req.kind,
            skill=skills.index(skill),
            threshold=req.threshold,
            weight=req.weight,
            skill_label=_skill_label(*skill),
            assessment=titles.get(skill),
        )
        for req, skill in pending
    ]
    return Spec(hard, measured, skills)


def _scope(member: Member | None):
    """The candidates in scope: the whole network (staff), or those `member` represents."""
    qs = Candidate.objects.live()
    if member is not None:
        qs = qs.filter(representations__member=member, representations__ended_at__isnull=True)
    return qs


def _candidates(spec: Spec, member: Member | None):
    """The candidates in scope, annotated h0, h1...: one per language or authorisation
    requirement (the level's rank, NULL: not listed; 1/0: authorised). Read for the
    failing sample only, whose reasons need the actual level and authorisation."""
    annotations: dict = {"auth_text": Cast("work_authorisation", TextField())}
    names: list[str] = []
    for h in spec.hard:
        name = f"h{len(names)}"
        if h.kind == "language":
            annotations[name] = Subquery(
                CandidateLanguage.objects.filter(candidate=OuterRef("pk"), code=h.language)
                .annotate(rank=_rank_case())
                .values("rank")[:1]
            )
        elif h.kind == "work_authorisation":
            annotations[name] = Case(
                When(_authorised_q(h), then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        else:
            continue
        names.append(name)
    return _scope(member).annotate(**annotations)


def _authorised_q(h: core.HardRequirement) -> Q:
    """May work in h.region, as core.authorised decides (case-insensitively). Needs the
    `auth_text` annotation on SQLite, where the stored JSON list's text holds each code in
    quotes; on PostgreSQL one jsonb `?|` (any of these strings is an element), not a text
    cast or one `@>` per code: the cast and the subquery cost ~1 s there at 100,000
    candidates (EXPLAIN ANALYZE, docs/benchmarks.md), four `@>` ~25 % more than `?|`."""
    codes = core.authorisation_codes(h.region)
    if connection.vendor == "postgresql":
        # Codes are stored upper-case; lower-case ones are matched as the core would.
        return Q(work_authorisation__has_any_keys=[*codes, *(c.lower() for c in codes)])
    q = Q()
    for code in codes:
        q |= Q(auth_text__icontains=f'"{code}"')
    return q


def _language_levels(h: core.HardRequirement) -> list[str]:
    return [lv for lv, rank in core.LEVEL_RANK.items() if rank >= h.min_rank]


def _row_q(spec: Spec) -> Q:
    """The hard filters a candidate's own row decides: hours and work authorisation,
    hours first (SQLite tries them in this order: an integer comparison before the text
    search on the authorisation list)."""
    q = Q()
    for h in spec.hard:
        if h.kind == "availability":
            q &= Q(hours_per_week__gte=h.hours)
    for h in spec.hard:
        if h.kind == "work_authorisation":
            q &= _authorised_q(h)
    return q


def _pass_q(spec: Spec) -> Q:
    """Every hard filter as SQL, the same rule as core.hard_filter (a test holds them
    equal); the failing sample is read by its negation. EXISTS on the language (index
    language_once) rather than the rank subquery."""
    q = _row_q(spec)
    for h in spec.hard:
        if h.kind == "language":
            q &= Q(
                Exists(
                    CandidateLanguage.objects.filter(
                        candidate=OuterRef("pk"), code=h.language, level__in=_language_levels(h)
                    )
                )
            )
    return q


def _hard_names(spec: Spec) -> list[str]:
    count = sum(1 for h in spec.hard if h.kind in ("language", "work_authorisation"))
    return [f"h{i}" for i in range(count)]


def _join_sql(expression: str) -> str:
    join = "STRING_AGG" if connection.vendor == "postgresql" else "GROUP_CONCAT"
    return f"{join}({expression}, ',')"


def _row_sql(cols: Sequence[str], *, integers: bool = False) -> str:
    # One row's values as 'v,v,v' (NULL as 'nan', or -1 for columns of non-negative
    # integers): || is NULL if any part is.
    null = "'-1'" if integers else "'nan'"
    return " || ',' || ".join(f"COALESCE(CAST({c} AS TEXT), {null})" for c in cols)


def _parse_rows(text: str | None, width: int, *, integers: bool = False) -> np.ndarray:
    """(n, width) float64, NaN for NULL. NumPy's C text parser: ~3x np.array(
    text.split(",")) on 100,000 values; integers (ids, hours; -1 for NULL) parse ~5x
    faster than floats (strtol, not strtod: 0.6 against 3.0 ms for 45,000 ids)."""
    if not text:
        return np.empty((0, width), dtype=np.float64)
    if not integers:
        return np.fromstring(text, dtype=np.float64, sep=",").reshape(-1, width)
    whole = np.fromstring(text, dtype=np.int64, sep=",").reshape(-1, width)
    out = whole.astype(np.float64)
    out[whole == -1] = np.nan
    return out


def _rows(qs, width: int, *, as_text: bool = True, integers: bool = False) -> np.ndarray:
    """The rows of `qs` (a values_list of `width` columns) as an (n, width) float array
    (NaN for NULL). `as_text`: read as ONE text joined by the database, in C, where n
    rows fetched as tuples cost Python ~1 us a row and value (bench_matching.py); the
    ORM builds the query, only this aggregate around it is written here. Not for float
    columns on SQLite, whose CAST of a REAL to text (printf) costs more than the tuples:
    the evidence query took 34 ms CPU joined, 18 ms as tuples. Row order is not relied
    upon (the caller sorts). `integers`: every column holds integers >= 0 (or NULL)."""
    sql, params = qs.order_by().query.sql_with_params()
    if not as_text:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
        if not found:
            return np.empty((0, width), dtype=np.float64)
        return np.array(found, dtype=np.float64).reshape(-1, width)
    cols = [f"c{i}" for i in range(width)]
    # A CTE's column list names the ORM's columns on both databases.
    row = _row_sql(cols, integers=integers)
    outer = f"WITH t({', '.join(cols)}) AS ({sql}) SELECT {_join_sql(row)} FROM t"
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        (text,) = cursor.fetchone()
    return _parse_rows(text, width, integers=integers)


def _scan(qs, row_q: Q, columns: Sequence[str]) -> tuple[int, np.ndarray]:
    """ONE pass over the candidates in scope: how many there are, and the `columns` (of
    non-negative integers) of those meeting `row_q` (as `_rows`). The count used to be
    its own query (a second scan of the table, 7 ms of 100,000 on SQLite, 11 ms on
    PostgreSQL)."""
    meets = (
        Case(When(row_q, then=Value(1)), default=Value(0), output_field=IntegerField())
        if row_q  # When() refuses an empty Q: no hours or authorisation asked, all meet it
        else Value(1, output_field=IntegerField())
    )
    flagged = qs.annotate(meets_rows=meets).values_list("meets_rows", *columns)
    sql, params = flagged.order_by().query.sql_with_params()
    cols = [f"c{i}" for i in range(len(columns))]
    outer = (
        f"WITH t(meets, {', '.join(cols)}) AS ({sql}) "
        "SELECT COUNT(*), "
        f"{_join_sql(f'CASE WHEN meets = 1 THEN {_row_sql(cols, integers=True)} END')} FROM t"
    )
    with connection.cursor() as cursor:
        cursor.execute(outer, params)
        count, text = cursor.fetchone()
    return int(count), _parse_rows(text, len(columns), integers=True)


def _user_in(ids: list[int]):
    """`user_id` among `ids`, given as ONE parameter (100,000 ids would be over SQLite's
    limit on bound parameters): a JSON array through json_each on SQLite; `= ANY(array)`
    on PostgreSQL, which probes the user index once per id in one index scan: 2.6x faster
    than `IN (SELECT unnest(...))`, whose hash aggregate and nested loop cost 37 ms of
    12,214 ids (EXPLAIN ANALYZE, docs/benchmarks.md)."""
    if connection.vendor == "postgresql":
        return RawSQL(
            '"vetting_evidence"."user_id" = ANY(%s::bigint[])',
            [_pg_array(ids)],
            output_field=BooleanField(),
        )
    return Q(user_id__in=RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)]))


def _pg_array(ids: list[int]) -> str:
    # The array's text form, cast by the database: psycopg adapting a list of 12,000 ints
    # cost 3.5 ms, the join 1 ms.
    return "{" + ",".join(map(str, ids)) + "}"


def _pg_ids(ids: list[int]) -> RawSQL:
    """A list of ids as ONE array parameter, for `__in` on PostgreSQL."""
    return RawSQL("SELECT unnest(%s::bigint[])", [_pg_array(ids)])


class Epoch(Func):
    """A timestamp as a sortable number (days on SQLite, seconds on PostgreSQL)."""

    function = "JULIANDAY"
    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)")


@dataclass(frozen=True)
class Inputs:
    pool: core.Pool  # every passing candidate and the first failing ones
    evidence: core.EvidenceRows
    digest: str
    considered: int  # all candidates in scope


def _floats(values) -> np.ndarray:
    # None becomes NaN in a float array.
    return np.array(values, dtype=np.float64)


def _array_sha256(rows: np.ndarray) -> str:
    # Little-endian float64 whatever the machine: the same values give the same bytes.
    return hashlib.sha256(np.ascontiguousarray(rows, dtype="<f8").tobytes()).hexdigest()


def _pool_from_columns(spec: Spec, columns: list[np.ndarray]) -> core.Pool:
    ranks: dict[str, np.ndarray] = {}
    allowed: dict[str, np.ndarray] = {}
    col = 3
    for h in spec.hard:
        if h.kind == "language":
            ranks[h.language] = np.nan_to_num(columns[col], nan=0).astype(np.int8)
        elif h.kind == "work_authorisation":
            allowed[h.region] = columns[col] == 1
        else:
            continue
        col += 1
    ids = columns[0].astype(np.int64)
    return core.Pool(ids=ids, hours=columns[2], language_rank=ranks, authorised=allowed)


def read_inputs(
    spec: Spec, *, member: Member | None, at: datetime.datetime, scope: str, keep: int = KEEP
) -> Inputs:
    """A fixed number of reads, whatever the pool's size (three, plus one per language
    requirement): one pass over the candidates in scope, counting them and reading the
    columns of those their own row lets through (hours, work authorisation); per language
    requirement, the ids of everyone speaking it at the level or above (index
    language_match alone), intersected here; the first `keep` failing candidates by id
    (for their reasons); the valid evidence of the passing ones on the opening's skills.

    The digest (LineDigest) covers the rule, the requirements, the scope and time, the
    number considered, the passing candidates (their number and the sha256 of their
    (id, user id, hours) rows in id order as little-endian float64, NaN for NULL), one
    line per failing candidate read, and one line of the evidence ids read, newest
    first."""
    digest = LineDigest()
    for line in spec.digest_lines():
        digest.add(*line)
    digest.add("scope", scope, iso_utc(at))

    in_scope = _scope(member)
    if connection.vendor != "postgresql":
        in_scope = in_scope.annotate(auth_text=Cast("work_authorisation", TextField()))
    considered, rows = _scan(in_scope, _row_q(spec), ["id", "user_id", "hours_per_week"])
    digest.add("considered", considered)
    for h in spec.hard:
        if h.kind != "language" or not len(rows):
            continue
        speakers = CandidateLanguage.objects.filter(code=h.language, level__in=_language_levels(h))
        if member is not None:
            speakers = speakers.filter(candidate__in=_scope(member).values("pk"))
        ids = _rows(speakers.values_list("candidate_id"), 1, integers=True)[:, 0]
        rows = rows[np.isin(rows[:, 0], ids)]
    rows = rows[np.argsort(rows[:, 0], kind="stable")]
    digest.add("passing", len(rows), _array_sha256(rows))
    columns = [rows[:, 0], rows[:, 1], rows[:, 2]]
    passing_users = [u for u in np.nan_to_num(columns[1], nan=0).astype(np.int64).tolist() if u]
    # Passing rows met every hard filter in the database: their level and authorisation
    # are not read, and stand in the pool as the minimum asked (so the core agrees).
    for h in spec.hard:
        if h.kind == "language":
            columns.append(np.full(len(rows), h.min_rank, dtype=np.float64))
        elif h.kind == "work_authorisation":
            columns.append(np.ones(len(rows), dtype=np.float64))
    names = ["id", "user_id", "hours_per_week", *_hard_names(spec)]
    annotated = _candidates(spec, member)
    # Nobody fails when nothing hard is asked (and exclude(Q()) would exclude nobody: the
    # whole scope read again as "failing", every candidate twice in the pool).
    failing: list[tuple] = []
    pass_q = _pass_q(spec)
    if pass_q:
        if connection.vendor == "postgresql" and len(rows):
            # By the passing ids already read: PostgreSQL hashes the language subquery
            # of the negated filter in full (45,000 rows, 14 ms) before walking the first
            # ids; SQLite walks them and tests each, ~0 ms, so it keeps the filter.
            sample = annotated.exclude(id__in=_pg_ids(columns[0].astype(np.int64).tolist()))
        else:
            sample = annotated.exclude(pass_q)
        failing = list(sample.order_by("id").values_list(*names)[:keep])
    for row in failing:
        digest.add("failing", *row)
    if failing:
        extra = [_floats(col) for col in zip(*failing, strict=True)]
        columns = [np.concatenate([a, b]) for a, b in zip(columns, extra, strict=True)]
        order = np.argsort(columns[0], kind="stable")
        columns = [col[order] for col in columns]
    pool = _pool_from_columns(spec, columns)
    user_ids = np.nan_to_num(columns[1], nan=0).astype(np.int64)
    n = len(pool)

    evidence = core.EvidenceRows.empty()
    if spec.skills and n and passing_users:
        wanted = Q()
        skill_case = []
        for i, (task_type, domain) in enumerate(spec.skills):
            wanted |= Q(task_type=task_type, domain=domain)
            skill_case.append(When(task_type=task_type, domain=domain, then=Value(i)))
        # Only the passing candidates' evidence (failing ones are never scored), by the
        # user ids already read: as a subquery the database ran the hard filters again.
        qs = Evidence.objects.valid(at).filter(wanted, _user_in(passing_users))
        qs = qs.annotate(
            skill=Case(*skill_case, output_field=IntegerField()),
            # Newest first is sorted here, not by the database (see _rows).
            measured=Epoch("measured_at"),
        ).values_list(
            "id",
            "user_id",
            "skill",
            "accuracy",
            "low",
            "high",
            "agreement",
            "lead_time_seconds",
            "measured",
        )
        e = _rows(qs, 9, as_text=connection.vendor == "postgresql").T
        if len(e[0]):
            newest = np.lexsort((-e[0], -e[8]))
            e = e[:, newest]
            evidence_ids = e[0].astype(np.int64)
            digest.add("evidence", ",".join(map(str, evidence_ids.tolist())))
            owners = e[1].astype(np.int64)
            by_user = np.argsort(user_ids, kind="stable")
            at_pos = np.minimum(np.searchsorted(user_ids[by_user], owners), n - 1)
            found = user_ids[by_user][at_pos] == owners
            owner = np.where(found, by_user[at_pos], -1).astype(np.int64)
            evidence = core.EvidenceRows(
                owner=owner,
                skill=e[2].astype(np.int64),
                accuracy=np.ascontiguousarray(e[3]),
                low=np.ascontiguousarray(e[4]),
                high=np.ascontiguousarray(e[5]),
                agreement=np.ascontiguousarray(e[6]),
                lead_time=np.ascontiguousarray(e[7]),
            )
    return Inputs(pool, evidence, digest.hexdigest(), considered)


def _core_error(exc: ValueError) -> InvalidInput:
    return InvalidInput([str(exc)])


def compute_ranking(*, opening: Opening, member: Member | None, at: datetime.datetime):
    """(result, inputs) without writing anything: the bench times this and the service."""
    spec = opening_spec(opening)
    scope = f"member:{member.pk}" if member is not None else "network"
    inputs = read_inputs(spec, member=member, at=at, scope=scope)
    try:
        result = core.rank(inputs.pool, spec.hard, spec.measured, inputs.evidence)
    except ValueError as exc:
        raise _core_error(exc) from exc
    return result, inputs


def ranking_results(result: core.Result, *, keep: int = KEEP) -> list[dict]:
    """The ranked top `keep` with their contributions, then up to `keep` hard-filter
    failures with their reasons."""
    ranked = result.explain_many(result.order[:keep])
    failed = result.explain_many(np.flatnonzero(~result.passed)[:keep])
    return [{"rank": place, **entry} for place, entry in enumerate(ranked, start=1)] + [
        {"rank": None, **entry} for entry in failed
    ]


def rank_opening(*, opening: Opening, member: Member | None = None, by) -> Ranking:
    """Rank the candidates `member` represents (the whole network when None, for staff)
    for `opening` and store the ranking. The score only orders: it rejects nobody."""
    if member is not None and opening.status != Opening.Status.OPEN:
        raise ConflictError(
            f"opening {opening.pk} is {opening.status}: only open openings are ranked for members"
        )
    at = timezone.now()
    result, inputs = compute_ranking(opening=opening, member=member, at=at)
    with transaction.atomic():
        ranking = Ranking.objects.create(
            opening=opening,
            member=member,
            rule=core.RULE,
            rule_version=core.RULE_VERSION,
            computed_at=at,
            computed_by=by,
            considered=inputs.considered,
            passed_hard=result.passed_hard,
            inputs_digest=inputs.digest,
            results=ranking_results(result),
        )
        audit.record(
            action="network.ranking.create",
            obj=ranking,
            changes={
                "opening": opening.pk,
                "member": member.pk if member else None,
                "rule": core.RULE,
                "rule_version": core.RULE_VERSION,
                "considered": inputs.considered,
                "passed_hard": result.passed_hard,
                # "digest" in a key is redacted by the audit log; the sha256 is no secret.
                "inputs_sha256": inputs.digest,
            },
            by=by,
        )
    return ranking


# -- the reverse view -------------------------------------------------------------------


def _one_candidate_pool(candidate: Candidate, spec: Spec) -> core.Pool:
    levels = {
        lang.code.lower(): core.LEVEL_RANK.get(lang.level, 0) for lang in candidate.languages.all()
    }
    ranks = {
        h.language: np.array([levels.get(h.language, 0)], dtype=np.int8)
        for h in spec.hard
        if h.kind == "language"
    }
    allowed = {
        h.region: np.array([core.authorised(candidate.work_authorisation or [], h.region)])
        for h in spec.hard
        if h.kind == "work_authorisation"
    }
    hours = _floats([candidate.hours_per_week])
    return core.Pool(np.array([candidate.pk], dtype=np.int64), hours, ranks, allowed)


def _one_candidate_evidence(rows: list[Evidence], spec: Spec) -> core.EvidenceRows:
    index = {skill: i for i, skill in enumerate(spec.skills)}
    mine = [r for r in rows if (r.task_type, r.domain) in index]
    if not mine:
        return core.EvidenceRows.empty()
    return core.EvidenceRows(
        owner=np.zeros(len(mine), dtype=np.int64),
        skill=np.array([index[(r.task_type, r.domain)] for r in mine], dtype=np.int64),
        accuracy=_floats([r.accuracy for r in mine]),
        low=_floats([r.low for r in mine]),
        high=_floats([r.high for r in mine]),
        agreement=_floats([r.agreement for r in mine]),
        lead_time=_floats([r.lead_time_seconds for r in mine]),
    )


def explain_for_candidate(
    *, candidate: Candidate, opening: Opening, at: datetime.datetime | None = None
) -> dict:
    """One opening's explanation for one candidate (hard-filter reasons, or each
    requirement's contribution and what they would need)."""
    found = openings_for_candidate(
        candidate=candidate, at=at, openings=[opening], only_passing=False
    )
    return found[0]


def openings_for_candidate(
    *,
    candidate: Candidate,
    at: datetime.datetime | None = None,
    openings: Sequence[Opening] | None = None,
    only_passing: bool = True,
) -> list[dict]:
    """The OPEN openings whose hard filters `candidate` passes, best score first (ties by
    opening id), each with the score and what they would need per measured requirement.
    Stale results are named so the person knows a retake is what they need."""
    at = at or timezone.now()
    if openings is None:
        openings = list(
            Opening.objects.filter(status=Opening.Status.OPEN)
            .select_related("client")
            .prefetch_related("requirements")
            .order_by("id")
        )
    user_id = candidate.user_id
    evidence = (
        list(Evidence.objects.filter(user_id=user_id).order_by("-measured_at", "-id"))
        if user_id
        else []
    )
    valid = [e for e in evidence if e.valid_until > at]
    expired: dict[tuple[str, str], datetime.datetime] = {}
    for e in evidence:
        if e.valid_until <= at:
            expired.setdefault((e.task_type, e.domain), e.valid_until)
    out = []
    for opening in openings:
        try:
            spec = opening_spec(opening, list(opening.requirements.all()))
            result = core.rank(
                _one_candidate_pool(candidate, spec),
                spec.hard,
                spec.measured,
                _one_candidate_evidence(valid, spec),
            )
        except (InvalidInput, ValueError):
            continue  # an opening whose requirements cannot be read is no match to offer
        explanation = result.explain(0)
        if only_passing and not explanation["passed"]:
            continue
        for part in explanation.get("contributions", []):
            req = next(m for m in spec.measured if m.key == part["requirement"])
            when = expired.get(spec.skills[req.skill])
            if part["counted"] is None and when is not None:
                part["expired_on"] = when.date().isoformat()
        out.append({"opening": opening, **explanation})
    out.sort(key=lambda e: (-(e.get("score") or 0.0), e["opening"].pk))
    return out
