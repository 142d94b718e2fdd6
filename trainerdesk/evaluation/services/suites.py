"""Behavioural test suites: suites and tests (checked by the pure core, errors naming the
field), JSON import/export, generating and collecting cases, and sending cases to the
annotators to confirm their expected labels.

Confirmation: the cases with an expected label (minimum functionality, and cases added
from items) become items of the suite's project, or of a project the user chooses, each
item's data carrying the case's text under the field's source key and the marker
`checklist_case` (the case id) - never the expected label, so annotators label blind. The
external id `checklist:<suite>:<case>` keeps a second send from adding them twice. Their
final label (the quality app's final-label rule) becomes the case's confirmed label, which
the case then expects; the baseline trainer leaves marked items out of its training set,
so a suite's cases never become the data the model is trained on.
"""

from __future__ import annotations

import json
import random
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from trainerdesk.evaluation import checklist
from trainerdesk.evaluation.models import Suite, SuiteCase, SuiteTest
from trainerdesk.evaluation.services.common import CASE_MARKER, field_of
from trainerdesk.lib import audit, jsonlimits
from trainerdesk.workbench.models import Item, Project
from trainerdesk.workbench.schema import Field
from trainerdesk.workbench.services import InvalidInput, add_items, final_answers

MAX_CASES_PER_TEST = 5000
MAX_SAMPLE = 5000
MAX_IMPORT_BYTES = 2_000_000
COLLECTED_TEST = "Cases from error analysis"
# Spec keys that are ours, not the core's: where an inv/dir test's texts come from, and
# the marker of a test of collected cases.
SOURCE_KEYS = ("items", "sample")


def _invalid(exc: checklist.SuiteError, prefix: str = "spec") -> InvalidInput:
    """A core error with the test's position replaced by the form's field name."""
    message = str(exc)
    for head in ("tests[0].", "tests[0]:"):
        if message.startswith(head):
            message = prefix + message[len(head) - 1 :]
    return InvalidInput([message])


def _name(value: Any, where: str = "name") -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        raise InvalidInput([f"{where}: must not be empty"])
    if len(name) > 200:
        raise InvalidInput([f"{where}: at most 200 characters"])
    return name


def _check_lexicons(lexicons: Any) -> dict[str, list[str]]:
    probe = {"name": "x", "lexicons": lexicons if lexicons is not None else {}}
    probe["tests"] = [{"name": "t", "type": "inv", "perturbation": "lowercase"}]
    try:
        parsed = checklist.parse_suite(probe)
    except checklist.SuiteError as exc:
        raise InvalidInput([str(exc).replace("suite.lexicons", "lexicons")]) from None
    return {k: list(v) for k, v in parsed.lexicons.items()}


def _check_seed(seed: Any) -> int:
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**31:
        raise InvalidInput(["seed: must be a whole number from 0 to 2147483647"])
    return seed


def core_test(suite: Suite, name: str, kind: str, spec: dict) -> checklist.Test:
    """The core's test for a stored one (checked against the suite's lexicons)."""
    if kind == SuiteTest.Kind.MFT and spec.get("collected"):
        return checklist.Test(name=name, type="mft", max_cases=MAX_CASES_PER_TEST)
    body = {k: v for k, v in spec.items() if k not in SOURCE_KEYS}
    raw = {**body, "name": name, "type": kind}
    probe = {"name": suite.name or "suite", "lexicons": suite.lexicons, "tests": [raw]}
    try:
        return checklist.parse_suite(probe).tests[0]
    except checklist.SuiteError as exc:
        raise _invalid(exc) from None


def core_suite(suite: Suite, tests: list[SuiteTest] | None = None) -> checklist.Suite:
    tests = list(suite.tests.all()) if tests is None else tests
    return checklist.Suite(
        name=suite.name,
        tests=tuple(core_test(suite, t.name, t.kind, t.spec) for t in tests),
        lexicons={k: tuple(v) for k, v in suite.lexicons.items()},
        seed=suite.seed,
    )


def _check_spec(suite: Suite, name: str, kind: Any, spec: Any) -> dict:
    """The spec as stored, or InvalidInput naming its field."""
    if kind not in SuiteTest.Kind.values:
        raise InvalidInput([f"kind: must be one of {', '.join(SuiteTest.Kind.values)}"])
    if not isinstance(spec, dict):
        raise InvalidInput(["spec: must be an object"])
    field = field_of(suite.project, suite.field_name)
    if kind == SuiteTest.Kind.MFT and spec.get("collected"):
        return {"collected": True}
    test = core_test(suite, name, kind, spec)
    if test.max_cases > MAX_CASES_PER_TEST:
        raise InvalidInput([f"spec.max_cases: at most {MAX_CASES_PER_TEST:,}"])
    labels = field.label_values
    for key, value in (("expected", test.expected), ("label", test.label)):
        if value and value not in labels:
            raise InvalidInput(
                [f"spec.{key}: {value!r} is not a label of {field.name} ({', '.join(labels)})"]
            )
    out = test.to_dict()
    out.pop("name"), out.pop("type")
    if kind != SuiteTest.Kind.MFT:
        if "items" in spec:
            ids = spec["items"]
            if (
                not isinstance(ids, list)
                or not ids
                or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
            ):
                raise InvalidInput(["spec.items: must be a non-empty list of item ids"])
            known = set(
                Item.objects.filter(project=suite.project, pk__in=ids).values_list("pk", flat=True)
            )
            if unknown := [i for i in ids if i not in known]:
                raise InvalidInput([f"spec.items: {unknown[:10]} are not items of this project"])
            out["items"] = list(dict.fromkeys(ids))
        if "sample" in spec:
            sample = spec["sample"]
            if (
                not isinstance(sample, int)
                or isinstance(sample, bool)
                or not (1 <= sample <= MAX_SAMPLE)
            ):
                raise InvalidInput([f"spec.sample: a whole number from 1 to {MAX_SAMPLE:,}"])
            out["sample"] = sample
        if not test.texts and "items" not in out and "sample" not in out:
            raise InvalidInput(
                [
                    "spec: say which texts to perturb: texts (a list), items (item ids of "
                    "this project) or sample (how many of the project's items, drawn with "
                    "the suite's seed)"
                ]
            )
    return out


def _facts(suite: Suite) -> dict:
    return {
        "name": suite.name,
        "description": suite.description,
        "field_name": suite.field_name,
        "seed": suite.seed,
        "lexicons": sorted(suite.lexicons),
    }


def create_suite(
    *,
    project: Project,
    name: str,
    description: str = "",
    field_name: str | None = None,
    seed: int = 0,
    lexicons: dict | None = None,
    by,
) -> Suite:
    name = _name(name)
    field = field_of(project, field_name)
    if field.multiple:
        raise InvalidInput(
            [f"field_name: {field.name} is multi-label; suites test single-label fields"]
        )
    suite = Suite(
        project=project,
        name=name,
        description=description or "",
        field_name=field.name,
        seed=_check_seed(seed),
        lexicons=_check_lexicons(lexicons),
        created_by=by,
    )
    try:
        with transaction.atomic():
            suite.save()
            audit.record(
                action="evaluation.suite.create", obj=suite, project=project,
                changes=_facts(suite), by=by,
            )  # fmt: skip
    except IntegrityError:
        raise InvalidInput([f"name: this project already has a suite {name!r}"]) from None
    return suite


def update_suite(*, suite: Suite, by, **changes: Any) -> Suite:
    """Change name, description, seed or lexicons; every test is checked again against
    the new lexicons (a test using a removed placeholder is named)."""
    unknown = set(changes) - {"name", "description", "seed", "lexicons"}
    if unknown:
        raise InvalidInput([f"{sorted(unknown)[0]}: cannot be changed"])
    before = _facts(suite)
    if "name" in changes:
        suite.name = _name(changes["name"])
    if "description" in changes:
        suite.description = changes["description"] or ""
    if "seed" in changes:
        suite.seed = _check_seed(changes["seed"])
    if "lexicons" in changes:
        suite.lexicons = _check_lexicons(changes["lexicons"])
        for test in suite.tests.all():
            try:
                core_test(suite, test.name, test.kind, test.spec)
            except InvalidInput as exc:
                raise InvalidInput([f"lexicons: test {test.name!r}: {exc}"]) from None
    suite.updated_at = timezone.now()
    try:
        with transaction.atomic():
            suite.save()
            audit.record(
                action="evaluation.suite.update", obj=suite, project=suite.project,
                changes=audit.changed_fields(before, _facts(suite), before), by=by,
            )  # fmt: skip
    except IntegrityError:
        raise InvalidInput([f"name: this project already has a suite {suite.name!r}"]) from None
    return suite


def delete_suite(*, suite: Suite, by) -> None:
    with transaction.atomic():
        audit.record(
            action="evaluation.suite.delete", obj=suite, project=suite.project,
            changes={"name": suite.name}, by=by,
        )  # fmt: skip
        suite.delete()


def add_test(*, suite: Suite, name: str, kind: str, spec: dict, by) -> SuiteTest:
    name = _name(name)
    if suite.tests.filter(name=name).exists():
        raise InvalidInput([f"name: this suite already has a test {name!r}"])
    stored = _check_spec(suite, name, kind, spec)
    last = suite.tests.order_by("-position").values_list("position", flat=True).first()
    with transaction.atomic():
        test = SuiteTest.objects.create(
            suite=suite, name=name, kind=kind, spec=stored, position=(last or 0) + 1
        )
        audit.record(
            action="evaluation.suite_test.create", obj=test, project=suite.project,
            changes={"suite": suite.pk, "name": name, "kind": kind, "spec": stored}, by=by,
        )  # fmt: skip
    return test


def update_test(*, test: SuiteTest, by, name: str | None = None, spec: dict | None = None):
    """A new name or spec; the test's generated cases are made again at the next
    generation (cases whose text is unchanged keep their id and confirmation)."""
    suite = test.suite
    new_name = _name(name) if name is not None else test.name
    if new_name != test.name and suite.tests.filter(name=new_name).exists():
        raise InvalidInput([f"name: this suite already has a test {new_name!r}"])
    stored = _check_spec(suite, new_name, test.kind, spec) if spec is not None else test.spec
    before = {"name": test.name, "spec": test.spec}
    test.name, test.spec = new_name, stored
    with transaction.atomic():
        test.save(update_fields=["name", "spec"])
        audit.record(
            action="evaluation.suite_test.update", obj=test, project=suite.project,
            changes=audit.changed_fields(before, {"name": test.name, "spec": stored}, before),
            by=by,
        )  # fmt: skip
    return test


def delete_test(*, test: SuiteTest, by) -> None:
    with transaction.atomic():
        audit.record(
            action="evaluation.suite_test.delete", obj=test, project=test.suite.project,
            changes={"suite": test.suite_id, "name": test.name}, by=by,
        )  # fmt: skip
        test.delete()


# --- import / export ------------------------------------------------------------------


def export_suite(suite: Suite) -> dict:
    """The core's suite document, plus what is ours: description, field, each test's
    source items or sample, and a collected test's cases with their expected labels."""
    tests = list(suite.tests.all())
    doc: dict[str, Any] = {
        "version": checklist.SUITE_VERSION,
        "name": suite.name,
        "description": suite.description,
        "field": suite.field_name,
        "seed": suite.seed,
        "lexicons": suite.lexicons,
        "tests": [],
    }
    for test in tests:
        if test.collected:
            cases = [{"text": c.text, "expected": c.expected} for c in test.cases.all()]
            doc["tests"].append(
                {"name": test.name, "type": "mft", "collected": True, "cases": cases}
            )
        else:
            doc["tests"].append({"name": test.name, "type": test.kind, **test.spec})
    return doc


def suite_json(suite: Suite) -> str:
    return json.dumps(export_suite(suite), ensure_ascii=False, indent=2)


def import_suite(*, project: Project, text: str | bytes, name: str | None = None, by) -> Suite:
    """A new suite from an export (`name` renames it). Every test is checked before
    anything is stored: one bad test and no suite is kept, the error naming the test."""
    raw = text.encode() if isinstance(text, str) else bytes(text)
    if len(raw) > MAX_IMPORT_BYTES:
        raise InvalidInput([f"file: over {MAX_IMPORT_BYTES:,} bytes"])
    if (at := jsonlimits.deep_at(raw)) is not None:
        raise InvalidInput([f"file: nested more than {jsonlimits.MAX_DEPTH} levels at {at + 1}"])
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput([f"file: not valid JSON ({exc})"]) from None
    if not isinstance(doc, dict):
        raise InvalidInput(["file: must be a JSON object (a suite export)"])
    tests = doc.get("tests")
    if not isinstance(tests, list) or not tests:
        raise InvalidInput(["tests: must be a non-empty list"])
    with transaction.atomic():
        suite = create_suite(
            project=project,
            name=name or doc.get("name") or "",
            description=doc.get("description") or "",
            field_name=doc.get("field"),
            seed=doc.get("seed", 0),
            lexicons=doc.get("lexicons") or {},
            by=by,
        )
        for i, raw_test in enumerate(tests):
            if not isinstance(raw_test, dict):
                raise InvalidInput([f"tests[{i}]: must be an object"])
            spec = {k: v for k, v in raw_test.items() if k not in ("name", "type", "cases")}
            try:
                test = add_test(
                    suite=suite, name=raw_test.get("name") or "", kind=raw_test.get("type") or "",
                    spec=spec, by=by,
                )  # fmt: skip
                if test.collected:
                    _import_collected(test, raw_test.get("cases"))
            except InvalidInput as exc:
                raise InvalidInput([f"tests[{i}].{e}" for e in exc.errors]) from None
        audit.record(
            action="evaluation.suite.import", obj=suite, project=project,
            changes={"name": suite.name, "tests": len(tests)}, by=by,
        )  # fmt: skip
    return suite


def _import_collected(test: SuiteTest, cases: Any) -> None:
    field = field_of(test.suite.project, test.suite.field_name)
    if not isinstance(cases, list):
        raise InvalidInput(["cases: must be a list of {text, expected}"])
    rows = []
    for j, case in enumerate(cases):
        ok = isinstance(case, dict) and isinstance(case.get("text"), str) and case["text"]
        if not ok:
            raise InvalidInput([f"cases[{j}].text: must be a non-empty string"])
        if case.get("expected") not in field.label_values:
            raise InvalidInput([f"cases[{j}].expected: not a label of {field.name}"])
        rows.append(
            SuiteCase(
                test=test, text=case["text"], expected=case["expected"],
                origin=SuiteCase.Origin.ITEM, position=j,
            )
        )  # fmt: skip
    SuiteCase.objects.bulk_create(rows)


# --- cases ----------------------------------------------------------------------------


def _text_of(data: Any, field: Field) -> str | None:
    value = data.get(field.source or "text") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def _sources(suite: Suite, test: SuiteTest, field: Field) -> list[tuple[str, int | None]]:
    """(text, item id) pairs an inv/dir test perturbs: its own texts, chosen items, or a
    sample of the project's items (not the suite items sent for confirmation) drawn with
    the suite's seed and the test's name."""
    if test.spec.get("texts"):
        return [(t, None) for t in test.spec["texts"]]
    items = Item.objects.filter(project=suite.project).exclude(data__has_key=CASE_MARKER)
    if "items" in test.spec:
        ids = test.spec["items"]
    else:
        pool = list(items.order_by("pk").values_list("pk", flat=True))
        rng = random.Random(f"{suite.seed}\t{test.name}\tsample")
        ids = sorted(rng.sample(pool, min(test.spec["sample"], len(pool))))
    data = dict(items.filter(pk__in=ids).values_list("pk", "data"))
    return [(text, pk) for pk in ids if pk in data and (text := _text_of(data[pk], field))]


def _expected_of(final: Any, reference: Any, field: Field) -> str | None:
    for answer in (final, reference):
        value = answer.get(field.name) if isinstance(answer, dict) else None
        if isinstance(value, str) and value in field.label_values:
            return value
    return None


def generate_cases(*, suite: Suite, by) -> dict[str, int]:
    """Make every (non-collected) test's cases again. Deterministic (the suite's seed), so
    an unchanged test keeps its case rows, their ids and any confirmed labels; cases that
    are no longer generated are deleted, new ones added. Returns cases per test."""
    field = field_of(suite.project, suite.field_name)
    tests = list(suite.tests.all())
    made: dict[str, int] = {}
    plans: list[tuple[SuiteTest, list[checklist.Case], dict[str, int | None]]] = []
    for test in tests:
        if test.collected:
            made[test.name] = test.cases.count()
            continue
        one = core_suite(suite, [test])
        item_of: dict[str, int | None] = {}
        texts: list[str] = []
        if test.kind != SuiteTest.Kind.MFT:
            for text, pk in _sources(suite, test, field):
                item_of.setdefault(text, pk)
                texts.append(text)
            if not texts and not test.spec.get("texts"):
                raise InvalidInput([f"tests[{test.name!r}]: no item of the project has a text"])
        try:
            cases, _skipped = checklist.generate_cases(one, texts=texts)
        except checklist.SuiteError as exc:
            raise InvalidInput([f"tests[{test.name!r}]: {exc}"]) from None
        plans.append((test, cases, item_of))
        made[test.name] = len(cases)
    with transaction.atomic():
        for test, cases, item_of in plans:
            old = {(c.text, c.original): c for c in test.cases.filter(origin="generated")}
            keep, new = set(), []
            for position, case in enumerate(cases):
                key = (case.text, case.original or "")
                if key in old:
                    keep.add(old[key].pk)
                    if old[key].position != position:
                        SuiteCase.objects.filter(pk=old[key].pk).update(position=position)
                    continue
                new.append(
                    SuiteCase(
                        test=test,
                        text=case.text,
                        original=case.original or "",
                        expected=case.expected or "",
                        source_item_id=item_of.get(case.original or ""),
                        position=position,
                    )
                )
            test.cases.filter(origin="generated").exclude(pk__in=keep).delete()
            SuiteCase.objects.bulk_create(new, batch_size=1000)
        audit.record(
            action="evaluation.suite_cases.generate", obj=suite, project=suite.project,
            changes={"cases": made}, by=by,
        )  # fmt: skip
    return made


def collected_test(*, suite: Suite, by) -> SuiteTest:
    """The suite's test of cases collected from items (made on first use)."""
    found = suite.tests.filter(name=COLLECTED_TEST).first()
    if found is not None:
        if not found.collected:
            raise InvalidInput([f"test: {COLLECTED_TEST!r} is a test of another kind"])
        return found
    return add_test(suite=suite, name=COLLECTED_TEST, kind="mft", spec={"collected": True}, by=by)


def add_cases_from_items(
    *, suite: Suite, item_ids: list[int], test: SuiteTest | None = None, by
) -> int:
    """Items found in error analysis become cases, so suites grow: into a minimum
    functionality test (default: the suite's collected test) each item's text expecting
    its final label (or, failing that, its gold reference); into an invariance or
    directional test the item's text is perturbed by the test's perturbation. Items
    already in the test are skipped; returns the cases added."""
    project = suite.project
    field = field_of(project, suite.field_name)
    ids = list(dict.fromkeys(int(i) for i in item_ids))
    if not ids:
        raise InvalidInput(["item: choose at least one item"])
    found = {
        pk: (data, ref)
        for pk, data, ref in Item.objects.filter(project=project, pk__in=ids).values_list(
            "pk", "data", "reference"
        )
    }
    if unknown := [i for i in ids if i not in found]:
        raise InvalidInput([f"item: {unknown[:10]} are not items of this project"])
    with transaction.atomic():
        test = test or collected_test(suite=suite, by=by)
        if test.suite_id != suite.pk:
            raise InvalidInput(["test: not a test of this suite"])
        have = set(test.cases.values_list("text", "original"))
        rows: list[SuiteCase] = []
        position = test.cases.count()
        if test.kind == SuiteTest.Kind.MFT:
            finals = final_answers(project=project, item_ids=ids)
            problems = []
            for pk in ids:
                data, ref = found[pk]
                text = _text_of(data, field)
                expected = _expected_of(finals.get(pk), ref, field)
                if text is None or expected is None:
                    problems.append(pk)
                    continue
                if (text, "") not in have:
                    rows.append(
                        SuiteCase(test=test, text=text, expected=expected, source_item_id=pk,
                                  origin=SuiteCase.Origin.ITEM, position=position + len(rows))
                    )  # fmt: skip
                    have.add((text, ""))
            if problems:
                raise InvalidInput(
                    [f"item: {problems[:10]} have no text or no final label or reference for "
                     f"{field.name}, so there is no label to expect"]
                )  # fmt: skip
        else:
            core = core_test(suite, test.name, test.kind, test.spec)
            assert core.perturbation is not None
            rng = random.Random(f"{suite.seed}\t{test.name}\titems")
            for pk in ids:
                text = _text_of(found[pk][0], field)
                for variant in checklist.perturb(text or "", core.perturbation, rng):
                    if text and (variant, text) not in have:
                        rows.append(
                            SuiteCase(test=test, text=variant, original=text, source_item_id=pk,
                                      origin=SuiteCase.Origin.ITEM, position=position + len(rows))
                        )  # fmt: skip
                        have.add((variant, text))
        SuiteCase.objects.bulk_create(rows)
        audit.record_bulk(
            action="evaluation.suite_cases.add_items", object_type="evaluation.suitecase",
            ids=[r.pk for r in rows], project=project, by=by,
            changes={"suite": suite.pk, "test": test.name, "items": len(ids)},
        )  # fmt: skip
    return len(rows)


# --- confirmation by annotators ---------------------------------------------------------


def send_for_confirmation(*, suite: Suite, target: Project | None = None, by) -> int:
    """The suite's cases with an expected label, not sent yet, as items of `target`
    (default: the suite's project) for annotators to label; returns the items added."""
    target = target or suite.project
    field = field_of(suite.project, suite.field_name)
    try:
        target_field = field_of(target, suite.field_name)
    except InvalidInput:
        raise InvalidInput(
            [f"target: project {target.name!r} has no choice field {suite.field_name!r}"]
        ) from None
    missing = set(field.label_values) - set(target_field.label_values)
    if missing:
        raise InvalidInput(
            [f"target: {target_field.name} of {target.name!r} lacks the labels {sorted(missing)}"]
        )
    cases = list(
        SuiteCase.objects.filter(test__suite=suite, confirm_item__isnull=True)
        .exclude(expected="")
        .order_by("pk")
    )
    if not cases:
        raise InvalidInput(["cases: no case with an expected label is waiting to be sent"])
    key = target_field.source or "text"
    rows = [
        {
            "external_id": f"checklist:{suite.pk}:{case.pk}",
            "data": {key: case.text, CASE_MARKER: case.pk, "checklist_suite": suite.name},
        }
        for case in cases
    ]
    with transaction.atomic():
        result = add_items(project=target, items=rows, by=by)
        if result.error_count:
            raise InvalidInput([f"target: {result.error_count} cases could not become items"])
        made = dict(
            Item.objects.filter(
                project=target, external_id__in=[r["external_id"] for r in rows]
            ).values_list("external_id", "pk")
        )
        for case in cases:
            case.confirm_item_id = made.get(f"checklist:{suite.pk}:{case.pk}")
        # A case whose item the import skipped (an equal item already there) stays unsent.
        cases = [c for c in cases if c.confirm_item_id is not None]
        SuiteCase.objects.bulk_update(cases, ["confirm_item"], batch_size=1000)
        audit.record_bulk(
            action="evaluation.suite_cases.send", object_type="evaluation.suitecase",
            ids=[c.pk for c in cases], project=suite.project, by=by,
            changes={"suite": suite.pk, "target_project": target.pk},
        )  # fmt: skip
    return len(cases)


def sync_confirmations(*, suite: Suite, by=None) -> dict[str, int]:
    """Read the final labels of the items sent for confirmation into the cases."""
    field_name = suite.field_name
    cases = list(
        SuiteCase.objects.filter(test__suite=suite, confirm_item__isnull=False).select_related(
            "confirm_item__project"
        )
    )
    by_project: dict[int, list[tuple[SuiteCase, Item]]] = {}
    for case in cases:
        if (item := case.confirm_item) is not None:  # the query asked for one
            by_project.setdefault(item.project_id, []).append((case, item))
    changed = []
    for pairs in by_project.values():
        project = pairs[0][1].project
        finals = final_answers(project=project, item_ids=[item.pk for _, item in pairs])
        for case, item in pairs:
            answer = finals.get(item.pk)
            label = answer.get(field_name) if isinstance(answer, dict) else None
            label = label if isinstance(label, str) else ""
            if label != case.confirmed_label:
                case.confirmed_label = label
                changed.append(case)
    counts = {
        "sent": len(cases),
        "confirmed": sum(1 for c in cases if c.confirmed_label),
        "disputed": sum(1 for c in cases if c.disputed),
        "changed": len(changed),
    }
    if changed:
        with transaction.atomic():
            SuiteCase.objects.bulk_update(changed, ["confirmed_label"], batch_size=1000)
            audit.record_bulk(
                action="evaluation.suite_cases.confirm", object_type="evaluation.suitecase",
                ids=[c.pk for c in changed], project=suite.project, by=by,
                changes={"suite": suite.pk, **counts},
            )  # fmt: skip
    return counts
