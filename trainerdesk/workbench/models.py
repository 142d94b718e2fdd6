from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

import orjson
from django.conf import settings
from django.db import connection, models
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.utils import timezone

from trainerdesk.accounts.models import Membership, Organization
from trainerdesk.lib.markup import render_markdown
from trainerdesk.workbench.runs import BackgroundRun
from trainerdesk.workbench.schema import LabelSchema, parse_schema

if TYPE_CHECKING:
    from datetime import datetime


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user) -> ProjectQuerySet:
        """Projects the user may open: any project of an organization they administer,
        plus projects where they hold a role."""
        if not user.is_authenticated:
            return self.none()
        admin_orgs = Membership.objects.filter(user=user, role__in=Membership.ADMIN_ROLES)
        return self.filter(
            Q(organization__in=admin_orgs.values("organization"))
            | Q(
                members__user=user,
                organization__memberships__user=user,
            )
        ).distinct()

    def get_with_role(self, *, pk: int, user) -> Project:
        """One project with the user's organization and project roles (org_role,
        member_role) in a single query; raise Project.DoesNotExist.

        Raw SQL because every request runs it: the ORM's subquery version took 2.8 ms to
        build against 0.19 ms for this whole query (measured on the dev machine).
        """
        sql = (
            f"SELECT p.*, m.role AS org_role, pm.role AS member_role "
            f"FROM {Project._meta.db_table} p "
            f"LEFT JOIN {Membership._meta.db_table} m "
            f"ON m.organization_id = p.organization_id AND m.user_id = %s "
            f"LEFT JOIN {ProjectMember._meta.db_table} pm "
            f"ON pm.project_id = p.id AND pm.user_id = %s WHERE p.id = %s"
        )
        for project in self.raw(sql, [user.pk, user.pk, pk]):
            return project
        raise Project.DoesNotExist(f"no project {pk}")


class Project(models.Model):
    class Ordering(models.TextChoices):
        SEQUENTIAL = "sequential", "Sequential (import order)"
        RANDOM = "random", "Random"
        PRIORITY = "priority", "By priority (highest first)"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="projects"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    instructions = models.TextField(blank=True, help_text="Markdown guidelines for annotators.")
    guideline_version = models.PositiveIntegerField(default=1)
    label_schema = models.JSONField()
    overlap = models.PositiveSmallIntegerField(default=1)
    ordering = models.CharField(max_length=16, choices=Ordering.choices, default="sequential")
    annotators_see_others = models.BooleanField(
        default=False, help_text="Annotators may see other annotators' answers."
    )
    annotators_see_comments = models.BooleanField(
        default=True, help_text="Annotators may read and write comments on items."
    )
    blind_order = models.BooleanField(
        default=True,
        help_text="Show model responses in an order shuffled per annotator (recorded with "
        "each annotation).",
    )
    # What annotators see of an item (workbench/visibility.py): the data keys the schema
    # reads, plus these; everything else (file names, sources, ids) stays hidden so an
    # import cannot show them the answer.
    annotator_fields = models.JSONField(
        default=list,
        blank=True,
        help_text="Item data keys shown to annotators besides those the label schema reads.",
    )
    annotators_see_external_id = models.BooleanField(
        default=False, help_text="Annotators see each item's external id."
    )

    # --- gold items: what the queue reads (services.next_item, submit_annotation); the
    # quality app keeps its own settings (final label rule, gold pass rule) in its
    # QualitySettings (DEVELOPERS.md, "Per-app project settings") ---
    gold_rate = models.FloatField(
        default=0.0, help_text="Share of served items that are gold (0 to 1)."
    )
    gold_feedback = models.BooleanField(
        default=False, help_text="After a gold item, show the annotator whether they were right."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ProjectQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name

    # Set on a project loaded by get_with_role() (its query selects them), nowhere else.
    org_role: str | None
    member_role: str | None

    @cached_property
    def schema(self) -> LabelSchema:
        return parse_schema(self.label_schema)

    @property
    def role(self) -> str | None:
        """The user's effective role, from a project loaded by get_with_role():
        org owners/admins act as managers; other org members have their project role."""
        if self.org_role is None:
            return None
        if self.org_role in Membership.ADMIN_ROLES:
            return ProjectMember.Role.MANAGER
        return self.member_role

    def queue_rank(self, *, priority: int, random_key: int) -> int:
        """An item's place in the queue under this project's ordering (lowest first, then
        by id). One rank column with one index serves every ordering."""
        # Plain string comparisons: this runs once per imported row.
        if self.ordering == "random":
            return random_key
        if self.ordering == "priority":
            return -priority
        return 0

    def queue_rank_expression(self):
        """The same rank as an SQL expression, to re-rank all items when ordering changes."""
        if self.ordering == self.Ordering.RANDOM:
            return models.F("random_key")
        if self.ordering == self.Ordering.PRIORITY:
            return models.Value(0) - models.F("priority")
        return models.Value(0)


class GuidelineVersion(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="guidelines")
    version = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="guideline_version_unique")
        ]
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.project} guidelines v{self.version}"


class ProjectMember(models.Model):
    class Role(models.TextChoices):
        MANAGER = "manager", "Manager"
        REVIEWER = "reviewer", "Reviewer"
        ANNOTATOR = "annotator", "Annotator"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_roles"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ANNOTATOR)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="project_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} on {self.project}"


class ImportJob(BackgroundRun):
    """One uploaded file's import; progress is the share of the file's bytes read."""

    MAX_STORED_ERRORS = 1000

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=500)
    original_name = models.CharField(max_length=255)
    format = models.CharField(max_length=16)
    size_bytes = models.BigIntegerField(default=0)
    processed_bytes = models.BigIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    items_added = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    annotations_added = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # The first MAX_STORED_ERRORS row errors as {"line": n, "message": "..."}; the count is exact.
    errors = models.JSONField(default=list)
    # One line per kind of thing the file had that was left out on purpose (with a count).
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.original_name} ({self.status})"

    def stale_message(self) -> str:
        return (
            f"{self.original_name}: the import stopped without finishing (its worker was last "
            f"heard from at {self.last_heard()}): {self.items_added:,} items added and "
            f"{self.duplicates:,} duplicates skipped from the first {self.rows_read:,} rows; "
            "import the file again — rows already imported are skipped"
        )


class ItemQuerySet(models.QuerySet):
    def complete(self, overlap: int) -> ItemQuerySet:
        return self.filter(done_count__gte=overlap)

    # --- the data manager's filters (parsed and validated by workbench/filters.py) ---

    def with_status(self, status: str, overlap: int) -> ItemQuerySet:
        """new: nobody has answered, skipped or opened it; in_progress: some answers but
        fewer than the overlap, or open with someone now; done: has the overlap's answers;
        skipped: someone skipped it (whatever else happened)."""
        if status == "new":
            return self.filter(done_count=0, skip_count=0, leased_count=0)
        if status == "in_progress":
            return self.filter(
                Q(done_count__gt=0, done_count__lt=overlap)
                | Q(leased_count__gt=0, done_count__lt=overlap)
            )
        if status == "done":
            return self.filter(done_count__gte=overlap)
        if status == "skipped":
            return self.filter(skip_count__gt=0)
        raise ValueError(f"unknown status {status!r}")

    def with_label(self, label: str, fields: list[tuple[str, bool]]) -> ItemQuerySet:
        """Items with a non-skipped annotation choosing `label` in any of the choice
        `fields` given as (name, multiple)."""
        match = Q(pk__in=[])
        for name, multiple in fields:
            if multiple:
                # A list of labels: the JSON text of the list holds the quoted label
                # (JSON containment is PostgreSQL-only; this form works on both).
                needle = orjson.dumps(label).decode()
                match |= Q(**{f"_label_{name}__contains": needle})
            else:
                match |= Q(**{f"_label_{name}": label})
        annotations = Annotation.objects.filter(item=OuterRef("pk"), skipped=False)
        for name, multiple in fields:
            transform = KeyTextTransform if multiple else KeyTransform
            annotations = annotations.alias(**{f"_label_{name}": transform(name, "answer")})
        return self.filter(Exists(annotations.filter(match)))

    def annotated_by(self, username: str) -> ItemQuerySet:
        """Items with any annotation (answer or skip) by this user or imported under
        this annotator name."""
        by = Annotation.objects.filter(item=OuterRef("pk")).filter(
            Q(annotator__username=username) | Q(annotator=None, imported_annotator=username)
        )
        return self.filter(Exists(by))

    def created_between(self, start, end) -> ItemQuerySet:
        """Created at or after `start` and before `end` (aware datetimes; either None)."""
        qs = self
        if start is not None:
            qs = qs.filter(created_at__gte=start)
        if end is not None:
            qs = qs.filter(created_at__lt=end)
        return qs

    def with_metadata(self, key: str, values: list) -> ItemQuerySet:
        """data[key] equals any of `values` (JSON equality). An explicit transform, not
        a data__<key> keyword, so no key can turn into a lookup."""
        match = Q(pk__in=[])
        for value in values:
            match |= Q(_meta_value=value)
        return self.alias(_meta_value=KeyTransform(key, "data")).filter(match)

    def matching_search(self, terms) -> ItemQuerySet:
        """Items whose text (every string value in data) matches the parsed search terms
        (filters.parse_search), through each database's full-text index (migration 0003).
        Raw SQL: the index is matched only by this exact expression (PostgreSQL) or is a
        virtual table the ORM does not know (SQLite)."""
        from trainerdesk.workbench.filters import fts5_query, tsquery

        table = self.model._meta.db_table
        if connection.vendor == "postgresql":
            sql = (
                f"jsonb_to_tsvector('simple'::regconfig, {table}.data, '[\"string\"]'::jsonb) "
                "@@ to_tsquery('simple'::regconfig, %s)"
            )
            return self.filter(RawSQL(sql, [tsquery(terms)], output_field=models.BooleanField()))
        sql = (
            f"{table}.id IN (SELECT rowid FROM workbench_item_fts "
            "WHERE workbench_item_fts MATCH %s)"
        )
        return self.filter(RawSQL(sql, [fts5_query(terms)], output_field=models.BooleanField()))

    def search_walk(
        self, fts_query: str, *, start: int | None, descending: bool, size: int
    ) -> tuple[list[Item], bool]:
        """SQLite, id order: up to `size` items of this queryset matching the FTS5 query,
        walking the index in id order from `start` (exclusive); returns (items in walk
        order, whether more lie beyond).

        The FTS5 index hands out ids in order and seeks to the start, so a page reads
        about a page of matches; the `id IN (matches)` form first gathers every match
        (140,000 for a common word at 1M items: 38 ms before the first row, against
        0.1 ms this way; bench/bench_data_manager.py). Chunks of candidate ids grow
        when the other filters reject most of them.
        """
        op, order = ("<", "DESC") if descending else (">", "ASC")
        bound = start if start is not None else (2**63 - 1 if descending else 0)
        found: list[Item] = []
        chunk = 200
        with connection.cursor() as cursor:
            while len(found) <= size:
                cursor.execute(
                    "SELECT rowid FROM workbench_item_fts WHERE workbench_item_fts MATCH %s "
                    f"AND rowid {op} %s ORDER BY rowid {order} LIMIT %s",
                    [fts_query, bound, chunk],
                )
                ids = [row[0] for row in cursor.fetchall()]
                if not ids:
                    break
                kept = {item.pk: item for item in self.filter(pk__in=ids)}
                found += [kept[pk] for pk in ids if pk in kept]
                if len(ids) < chunk:
                    break
                bound, chunk = ids[-1], min(chunk * 4, 10_000)
        return found[:size], len(found) > size

    def assigned_to(self, username: str) -> ItemQuerySet:
        """Items assigned to this user; "-" means items assigned to nobody."""
        if username == "-":
            return self.filter(assignee__isnull=True)
        return self.filter(assignee__username=username)

    def keyset_page(
        self, *, sort: str, cursor: tuple | None, backward: bool = False, size: int = 50
    ) -> tuple[list[Item], bool]:
        """One page in `sort` order ("key" or "-key", ties broken by id) starting after
        (or, backward, ending before) the (key value, id) `cursor`; never OFFSET, so every
        page costs the same. Returns (items in display order, whether more items lie
        beyond the page in the direction of travel)."""
        key = sort.lstrip("-")
        ascending = sort.startswith("-") == backward
        order = [key, "id"] if key != "id" else ["id"]
        order = [o if ascending else f"-{o}" for o in order]
        rows: list[Item] = []
        for part in self._beyond(key, cursor, ascending=ascending):
            rows += list(self.filter(part).order_by(*order)[: size + 1 - len(rows)])
            if len(rows) > size:
                break
        more = len(rows) > size
        rows = rows[:size]
        if backward:
            rows.reverse()
        return rows, more

    def has_beyond(self, *, sort: str, cursor: tuple, backward: bool) -> bool:
        """Whether any item lies past `cursor` in the direction of travel."""
        ascending = sort.startswith("-") == backward
        parts = self._beyond(sort.lstrip("-"), cursor, ascending=ascending)
        return any(self.filter(part).exists() for part in parts)

    @staticmethod
    def _beyond(key: str, cursor: tuple | None, *, ascending: bool) -> list[Q]:
        """What lies past the cursor, as conditions to query one after the other: for a
        sort key, first the rest of the cursor's key value (key = v AND id > pk), then
        the values beyond it (key > v). Each is one seek in the (project, key, id)
        index. The single `key > v OR (key = v AND id > pk)` condition (and SQLite's
        row-value comparison alike, on 3.40) made SQLite read every row with key = v up
        to the cursor: page 5,000 of 1M items sorted by priority took 26-33 ms in the
        query alone (bench/bench_data_manager.py, docs/benchmarks.md)."""
        if cursor is None:
            return [Q()]
        value, pk = cursor
        op = "gt" if ascending else "lt"
        if key == "id":
            return [Q(**{f"id__{op}": pk})]
        return [Q(**{key: value, f"id__{op}": pk}), Q(**{f"{key}__{op}": value})]


class Item(models.Model):
    # Not a column: services.next_item sets it on the item it hands out.
    lease_expires_at: datetime

    # No separate index on project: every composite index below starts with it, and each
    # extra index costs import speed.
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    # Null, not "", when absent: the API and exports distinguish "no id" from an empty id.
    external_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    data = models.JSONField()
    # blake2b-128 of the canonical JSON of data: re-importing the same rows adds nothing.
    content_hash = models.CharField(max_length=32)
    priority = models.IntegerField(default=0)
    random_key = models.BigIntegerField(default=0)
    queue_rank = models.BigIntegerField(default=0, db_default=0)
    reference = models.JSONField(null=True, blank=True)
    # A gold item's reference is its gold answer. Gold items reach every annotator once,
    # outside the shared queue's overlap, so `available` stays false for them.
    is_gold = models.BooleanField(default=False, db_default=False)
    # Shown with the reference in immediate feedback, after the annotator answered.
    gold_explanation = models.TextField(blank=True, default="", db_default="")
    import_job = models.ForeignKey(
        ImportJob,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # Queue bookkeeping, kept in step by services in the same transaction as the
    # annotation or lease that changes them, so "next item" is one indexed lookup.
    # Database defaults let the bulk import leave these columns out of its INSERT.
    done_count = models.PositiveIntegerField(default=0, db_default=0)
    skip_count = models.PositiveIntegerField(default=0, db_default=0)
    leased_count = models.PositiveIntegerField(default=0, db_default=0)
    available = models.BooleanField(default=True, db_default=True)
    # Served only to this person until they answer or skip it; then back to the shared
    # queue if it still needs annotators.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ItemQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "content_hash"], name="item_content_unique")
        ]
        indexes = [
            # Partial indexes hold only items that still need annotators, so the queue
            # lookup cost does not grow with finished work. The shared queue (no
            # assignee) has an index of its own: PostgreSQL does not take `assignee IS
            # NULL` as fixing the column, so one (project, assignee, rank) index made it
            # sort every open item before LIMIT 1 (524 ms at 5,000 items, 16 clients;
            # 0.29 ms with this index; docs/benchmarks.md, "Many annotators at once").
            models.Index(
                fields=["project", "queue_rank", "id"],
                condition=Q(available=True, assignee__isnull=True),
                name="item_queue",
            ),
            models.Index(
                fields=["project", "assignee", "queue_rank", "id"],
                condition=Q(available=True, assignee__isnull=False),
                name="item_queue_assigned",
            ),
            models.Index(
                fields=["project", "random_key", "id"],
                condition=Q(is_gold=True),
                name="item_gold",
            ),
            models.Index(fields=["project", "done_count"], name="item_done"),
            models.Index(fields=["project", "priority", "id"], name="item_priority"),
            # The API's item list (`project = ? AND id > ? ORDER BY id`): without it SQLite
            # took item_priority for the project and sorted all of its rows per page.
            models.Index(fields=["project", "id"], name="item_keyset"),
        ]

    def __str__(self) -> str:
        return f"item {self.pk}"

    def best_prediction(self) -> Prediction | None:
        """The prediction to suggest: the highest score, then the latest."""
        # Raw SQL because GET /next asks for it on every call: building the ORM query took
        # 0.63 ms against 0.11-0.14 ms for this (measured on SQLite, 2,000 calls), about a
        # seventh of the whole next-item call. raw() still decodes the JSON per database;
        # NULLS LAST is spelled out because PostgreSQL sorts nulls first when descending.
        table = Prediction._meta.db_table
        query = (
            f"SELECT * FROM {table} WHERE item_id = %s "
            "ORDER BY score DESC NULLS LAST, created_at DESC, id DESC LIMIT 1"
        )
        return next(iter(Prediction.objects.raw(query, [self.pk])), None)


class Lease(models.Model):
    """An item handed to one annotator until they submit or the lease expires."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="leases")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            # One open item per annotator and project: a reload hands back the same item.
            models.UniqueConstraint(fields=["project", "annotator"], name="lease_one_per_user"),
        ]
        indexes = [models.Index(fields=["project", "expires_at"], name="lease_expiry")]

    def __str__(self) -> str:
        return f"lease on item {self.item_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class AnnotationQuerySet(models.QuerySet):
    # --- the progress page (its other numbers are in ProgressCount) ---

    def median_lead_time(self) -> float | None:
        """The median lead time of these annotations. Neither database has a median
        aggregate both can run (PostgreSQL's percentile_cont is not in SQLite), so: count,
        then read the middle one or two values in lead-time order."""
        timed = self.filter(lead_time__isnull=False)
        n = timed.count()
        if not n:
            return None
        middle = list(
            timed.order_by("lead_time").values_list("lead_time", flat=True)[
                (n - 1) // 2 : n // 2 + 1
            ]
        )
        return sum(middle) / len(middle)


class Annotation(models.Model):
    class Origin(models.TextChoices):
        QUEUE = "queue", "Annotation queue"
        IMPORT = "import", "Imported"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="annotations")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="annotations")
    # Null for annotations imported from another tool; their author is kept as text.
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="annotations",
    )
    imported_annotator = models.CharField(max_length=255, blank=True)
    answer = models.JSONField(default=dict)
    skipped = models.BooleanField(default=False)
    skip_reason = models.CharField(max_length=500, blank=True)
    guideline_version = models.PositiveIntegerField()
    lead_time = models.FloatField(null=True, blank=True, help_text="Active seconds on the item.")
    client_id = models.UUIDField(null=True, blank=True)
    # For blind LLM evaluation: the order in which the responses were shown (indexes into
    # the item's responses). The answer itself always uses the item's own order.
    response_order = models.JSONField(null=True, blank=True)
    origin = models.CharField(max_length=8, choices=Origin.choices, default=Origin.QUEUE)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "annotator"], name="annotation_one_per_user"),
            # The retry key for idempotent submits.
            models.UniqueConstraint(
                fields=["annotator", "client_id"], name="annotation_client_id_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["project", "annotator", "created_at"], name="annotation_by_user"),
            # The progress page's median lead time per annotator reads this index alone.
            models.Index(fields=["project", "annotator", "lead_time"], name="annotation_lead"),
        ]

    def __str__(self) -> str:
        return f"annotation {self.pk} on item {self.item_id}"

    @property
    def author(self) -> str:
        return self.annotator.get_username() if self.annotator else self.imported_annotator


class Prediction(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="predictions")
    model_version = models.CharField(max_length=255, blank=True)
    answer = models.JSONField(default=dict)
    score = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"prediction by {self.model_version or 'a model'} on item {self.item_id}"


class ImageAsset(models.Model):
    """An image file uploaded to a project, stored under MEDIA_ROOT (outside the web
    root) by its content hash and served only to the project's members."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="images")
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=500, help_text="Relative to MEDIA_ROOT.")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "sha256"], name="image_asset_unique")
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.width}x{self.height})"


class Comment(models.Model):
    """A Markdown comment on an item; replies point at the thread's first comment."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="comments")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["item", "created_at"], name="comment_by_item")]

    def __str__(self) -> str:
        return f"comment {self.pk} on item {self.item_id}"

    @cached_property
    def html(self) -> str:
        """The body as sanitised HTML (comments are read by everyone on the project)."""
        return render_markdown(self.body)

    @property
    def is_deleted(self) -> bool:
        return not self.body


class Notification(models.Model):
    """One entry in a user's inbox: a mention of them or a reply in their thread (comment
    set), or a reviewer sending their answer back (item, actor and message set)."""

    class Kind(models.TextChoices):
        MENTION = "mention", "Mentioned you"
        REPLY = "reply", "Replied to your thread"
        RETURNED = "returned", "Sent your answer back"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="notifications", null=True, blank=True
    )
    # A sent-back answer: the item to answer again, the reviewer, and their reason.
    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "comment"], name="notification_once")
        ]
        indexes = [models.Index(fields=["user", "read_at", "created_at"], name="inbox")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user} ({self.comment})"


class Webhook(models.Model):
    class Event(models.TextChoices):
        IMPORT_FINISHED = "import.finished", "Import finished"
        ITEM_COMMENTED = "item.commented", "Item commented"
        PROJECT_COMPLETED = "project.completed", "Project completed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=1000)
    # HMAC-SHA256 key for the X-TrainerDesk-Signature header; shown to managers.
    secret = models.CharField(max_length=128)
    events = models.JSONField(default=list)
    # Slack-compatible incoming webhooks get {"text": ...} instead of the full event.
    slack_format = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"webhook {self.pk} to {self.url}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["webhook", "created_at"], name="delivery_log")]

    def __str__(self) -> str:
        return f"{self.event} to webhook {self.webhook_id} ({self.status})"


class ProgressCount(models.Model):
    """Answers, skips and active seconds per project, annotator and local day, kept by
    the services that write annotations (services/progress_counts.py) so the progress
    page reads a few rows instead of every annotation. annotator_key 0: imported
    annotations without a user."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    annotator_key = models.IntegerField()
    day = models.DateField()
    done = models.IntegerField(default=0)
    skipped = models.IntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "annotator_key", "day"], name="progress_count_key"
            )
        ]

    def __str__(self) -> str:
        return f"progress of {self.annotator_key} on {self.day}"
