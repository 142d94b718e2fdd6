"""CheckList-style behavioural tests for text classification (Ribeiro et al., 2020):
accuracy on a held-out split says how often a model is right, not whether it learnt the
behaviour the trainer needs; these suites test the behaviour directly.

Three test types:
- Minimum functionality ("mft"): templates with fill-in lists generate labelled cases
  (`"The {food} was {neg_adj}."` → "negative"); a case passes when the top label is the
  expected one.
- Invariance ("inv"): a perturbation of a real text (typos, casing, punctuation, swapped
  names/places/numbers, an added neutral sentence) must not change the top label.
- Directional ("dir"): a perturbation (an added negation, appended text, ...) must move the
  score of a stated label up or down by more than `tolerance` (default 0: any move in
  that direction; an unchanged score fails, since the test says it must move).

A suite is plain data (a dict, JSON for import/export) and generating its cases is
deterministic: each test draws from its own `random.Random` seeded by the suite's seed
and the test's name, so adding a test never changes another test's cases. Pure Python with
no Django imports: the services store suites and results, supply the real item texts for
invariance and directional tests without their own, and pass the model's
`predict_proba`.
"""

from __future__ import annotations

import json
import math
import random
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # NumPy is imported when a model is asked: the web pages never load it
    import numpy as np

TEST_TYPES = ("mft", "inv", "dir")
DIRECTIONS = ("up", "down")
DEFAULT_MAX_CASES = 100
DEFAULT_MAX_FAILURES = 50  # failing cases listed per test (all are counted)
SUITE_VERSION = 1

# Built-in fill-in lists: templates may use them as placeholders, and the swap
# perturbations draw replacements from them. Names span several cultures on purpose: a
# model keyed on a name is the bias the invariance test is for.
FIRST_NAMES = (
    "John", "Mary", "James", "Patricia", "Ahmed", "Fatima", "Wei", "Mei", "Raj", "Priya",
    "Carlos", "Sofia", "Olga", "Ivan", "Kwame", "Amara", "Hiroshi", "Yuki", "Lukas", "Anna",
    "David", "Sarah", "Mohammed", "Aisha", "Pierre", "Claire", "Giulia", "Marco",
)  # fmt: skip
PLACES = (
    "London", "Paris", "Vienna", "Berlin", "Madrid", "Rome", "Lagos", "Nairobi", "Cairo",
    "Mumbai", "Delhi", "Beijing", "Tokyo", "Seoul", "Sydney", "Toronto", "Chicago",
    "Mexico City", "Lima", "Istanbul", "France", "Germany", "Austria", "Nigeria", "India",
    "China", "Japan", "Brazil", "Canada", "Egypt",
)  # fmt: skip
NEUTRAL_SENTENCES = (
    "This was written on a Tuesday.",
    "I read it on the train.",
    "More details will follow.",
    "The text has been lightly edited.",
    "Thanks for reading.",
)
BUILTIN_LEXICONS: dict[str, tuple[str, ...]] = {"first_name": FIRST_NAMES, "place": PLACES}

PERTURBATIONS = (
    "typos",
    "lowercase",
    "uppercase",
    "punctuation",
    "swap_names",
    "swap_places",
    "swap_numbers",
    "add_neutral",
    "add_negation",
    "append",
    "prepend",
)
_NEGATABLE = re.compile(
    r"\b(is|was|are|were|am|will|can|could|should|would|does|do|did|has|have|had)\b(?! not)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\b\d+\b")
_TRAILING_PUNCT = re.compile(r"[.!?;,]+\s*$")


class SuiteError(ValueError):
    """A suite that cannot be generated or run; the message names the field."""

    def __init__(self, where: str, message: str) -> None:
        self.field = where
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Perturbation:
    kind: str
    samples: int = 1  # variants per text (random perturbations)
    count: int = 1  # typos per variant
    text: str = ""  # for append / prepend
    sentences: tuple[str, ...] = ()  # for add_neutral (default: the built-in ones)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.samples != 1:
            out["samples"] = self.samples
        if self.count != 1:
            out["count"] = self.count
        if self.text:
            out["text"] = self.text
        if self.sentences:
            out["sentences"] = list(self.sentences)
        return out


@dataclass(frozen=True)
class Test:
    name: str
    type: str
    templates: tuple[str, ...] = ()  # mft
    expected: str = ""  # mft
    max_cases: int = DEFAULT_MAX_CASES
    perturbation: Perturbation | None = None  # inv, dir
    texts: tuple[str, ...] = ()  # inv, dir: empty = the texts given to generate/run
    label: str = ""  # dir: the label whose score must move
    direction: str = ""  # dir: "up" or "down"
    tolerance: float = 0.0  # dir

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.type == "mft":
            out.update(templates=list(self.templates), expected=self.expected)
            out["max_cases"] = self.max_cases
        else:
            assert self.perturbation is not None
            out["perturbation"] = self.perturbation.to_dict()
            if self.texts:
                out["texts"] = list(self.texts)
            out["max_cases"] = self.max_cases
        if self.type == "dir":
            out.update(label=self.label, direction=self.direction, tolerance=self.tolerance)
        return out


@dataclass(frozen=True)
class Suite:
    name: str
    tests: tuple[Test, ...]
    lexicons: dict[str, tuple[str, ...]] = field(default_factory=dict)
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": SUITE_VERSION,
            "name": self.name,
            "seed": self.seed,
            "lexicons": {k: list(v) for k, v in self.lexicons.items()},
            "tests": [t.to_dict() for t in self.tests],
        }


@dataclass(frozen=True)
class Case:
    test: str  # the test's name
    type: str
    text: str  # what the model is asked about
    original: str | None = None  # inv/dir: the unperturbed text
    expected: str | None = None  # mft
    id: Any = None  # the caller's key for a stored case: failures carry it


# --- reading a suite -------------------------------------------------------------------


def _str(data: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise SuiteError(f"{where}.{key}", "must be a non-empty string")
    return value


def _int(data: Mapping[str, Any], key: str, where: str, default: int, low: int = 1) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise SuiteError(f"{where}.{key}", f"must be an integer of at least {low}")
    return value


def _strings(value: Any, where: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SuiteError(where, "must be a list of strings")
    if not value and not allow_empty:
        raise SuiteError(where, "must not be empty")
    return tuple(value)


def parse_suite(data: Any) -> Suite:
    """A suite from its plain-data form (what `Suite.to_dict` and the JSON export give),
    checked: every error names its field (`tests[2].templates[0]`, ...)."""
    if not isinstance(data, dict):
        raise SuiteError("suite", "must be an object")
    name = _str(data, "name", "suite")
    seed = _int(data, "seed", "suite", 0, low=0)
    raw_lex = data.get("lexicons", {})
    if not isinstance(raw_lex, dict):
        raise SuiteError("suite.lexicons", "must be an object of name → list of strings")
    lexicons = {}
    for key, values in raw_lex.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise SuiteError(f"lexicons.{key}", "a placeholder name is letters, digits and _")
        lexicons[key] = _strings(values, f"lexicons.{key}")
    raw_tests = data.get("tests")
    if not isinstance(raw_tests, list) or not raw_tests:
        raise SuiteError("suite.tests", "must be a non-empty list")
    tests, names = [], set()
    for i, raw in enumerate(raw_tests):
        test = _parse_test(raw, f"tests[{i}]", {**BUILTIN_LEXICONS, **lexicons})
        if test.name in names:
            raise SuiteError(f"tests[{i}].name", f'"{test.name}" is used by another test')
        names.add(test.name)
        tests.append(test)
    return Suite(name=name, tests=tuple(tests), lexicons=lexicons, seed=seed)


def _parse_test(raw: Any, where: str, lexicons: Mapping[str, Sequence[str]]) -> Test:
    if not isinstance(raw, dict):
        raise SuiteError(where, "must be an object")
    name = _str(raw, "name", where)
    kind = raw.get("type")
    if kind not in TEST_TYPES:
        raise SuiteError(f"{where}.type", f"must be one of {', '.join(TEST_TYPES)}")
    max_cases = _int(raw, "max_cases", where, DEFAULT_MAX_CASES)
    if kind == "mft":
        templates = _strings(raw.get("templates"), f"{where}.templates")
        for j, template in enumerate(templates):
            _placeholders(template, f"{where}.templates[{j}]", lexicons)
        return Test(
            name=name,
            type=kind,
            templates=templates,
            expected=_str(raw, "expected", where),
            max_cases=max_cases,
        )
    perturbation = _parse_perturbation(raw.get("perturbation"), f"{where}.perturbation")
    texts = _strings(raw.get("texts", []), f"{where}.texts", allow_empty=True)
    label, direction, tolerance = "", "", 0.0
    if kind == "dir":
        label = _str(raw, "label", where)
        direction = raw.get("direction", "")
        if direction not in DIRECTIONS:
            raise SuiteError(f"{where}.direction", 'must be "up" or "down"')
        tolerance = raw.get("tolerance", 0.0)
        if (
            not isinstance(tolerance, int | float)
            or isinstance(tolerance, bool)
            or not (0 <= tolerance < 1)
        ):
            raise SuiteError(f"{where}.tolerance", "must be a number within 0..1")
    return Test(
        name=name,
        type=kind,
        max_cases=max_cases,
        perturbation=perturbation,
        texts=texts,
        label=label,
        direction=direction,
        tolerance=float(tolerance),
    )


def _parse_perturbation(raw: Any, where: str) -> Perturbation:
    if isinstance(raw, str):
        raw = {"kind": raw}
    if not isinstance(raw, dict):
        raise SuiteError(where, "must be an object with a kind")
    kind = raw.get("kind")
    if kind not in PERTURBATIONS:
        raise SuiteError(f"{where}.kind", f"must be one of {', '.join(PERTURBATIONS)}")
    text = raw.get("text", "")
    if kind in ("append", "prepend"):
        text = _str(raw, "text", where)
    sentences = _strings(raw.get("sentences", []), f"{where}.sentences", allow_empty=True)
    return Perturbation(
        kind=kind,
        samples=_int(raw, "samples", where, 1),
        count=_int(raw, "count", where, 1),
        text=text,
        sentences=sentences,
    )


def suite_from_json(text: str | bytes) -> Suite:
    """Import. The caller bounds the size and depth first (`lib/jsonlimits`) as every
    JSON reader does; this reads and checks the structure."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SuiteError("suite", f"not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    return parse_suite(data)


def suite_to_json(suite: Suite) -> str:
    """Export: what `suite_from_json` reads back to an equal suite."""
    return json.dumps(suite.to_dict(), ensure_ascii=False, indent=2)


# --- generating cases ------------------------------------------------------------------


def _placeholders(template: str, where: str, lexicons: Mapping[str, Sequence[str]]) -> list[str]:
    """The template's placeholder names in first-use order; an unknown one, a positional
    `{}` or a format spec is an error naming it (literal braces are written `{{` `}}`)."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise SuiteError(
            where, f"malformed template ({exc}); write literal braces as {{{{ }}}}"
        ) from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or spec or conversion:
            raise SuiteError(where, f'placeholder "{{{name}}}" must be a plain {{name}}')
        if name not in lexicons:
            known = ", ".join(sorted(lexicons)) or "none"
            raise SuiteError(where, f'unknown placeholder "{name}" (known: {known})')
        if name not in names:
            names.append(name)
    return names


def _fill(template: str, values: Mapping[str, str]) -> str:
    out = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            out.append(values[name])
    return "".join(out)


def _mft_cases(test: Test, lexicons: Mapping[str, Sequence[str]], rng: random.Random) -> list[Case]:
    # Combinations are numbered (template by template, then mixed-radix over the fill-in
    # lists) and sampled by number, so five lists of 100 words never build 10^10 strings.
    plans = []
    for j, template in enumerate(test.templates):
        names = _placeholders(template, f"{test.name}.templates[{j}]", lexicons)
        sizes = [len(lexicons[n]) for n in names]
        plans.append((template, names, sizes, math.prod(sizes)))
    total = sum(plan[3] for plan in plans)
    picks = (
        range(total)
        if total <= test.max_cases
        else sorted(rng.sample(range(total), test.max_cases))
    )
    cases = []
    for number in picks:
        for plan in plans:
            if number < plan[3]:
                break
            number -= plan[3]
        template, names, sizes, _count = plan
        values = {}
        for name, size in zip(reversed(names), reversed(sizes), strict=True):
            number, digit = divmod(number, size)
            values[name] = lexicons[name][digit]
        cases.append(Case(test.name, "mft", _fill(template, values), expected=test.expected))
    return cases


def _swap(text: str, vocab: Sequence[str], rng: random.Random) -> str | None:
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(v) for v in sorted(vocab, key=len, reverse=True)) + r")\b"
    )
    found = sorted(set(pattern.findall(text)))
    if not found:
        return None
    mapping = {w: rng.choice([v for v in vocab if v != w]) for w in found}
    return pattern.sub(lambda m: mapping[m.group(1)], text)


def _typos(text: str, count: int, rng: random.Random) -> str | None:
    # Swap two adjacent letters (CheckList's add_typos): a typo a reader shrugs off.
    chars = list(text)
    spots = [i for i in range(len(chars) - 1) if chars[i].isalpha() and chars[i + 1].isalpha()]
    spots = [i for i in spots if chars[i] != chars[i + 1]]
    if not spots:
        return None
    for i in rng.sample(spots, min(count, len(spots))):
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


def _numbers(text: str, rng: random.Random) -> str | None:
    if not _NUMBER.search(text):
        return None

    def repl(m: re.Match[str]) -> str:
        value = int(m.group(0))
        low, high = max(1, value // 2), value * 2 + 2
        new = value
        while new == value:
            new = rng.randint(low, high)
        return str(new)

    return _NUMBER.sub(repl, text)


def _join(first: str, second: str) -> str:
    return f"{first.rstrip()} {second.lstrip()}"


def perturb(text: str, perturbation: Perturbation, rng: random.Random) -> list[str]:
    """The variants of `text` (none when the perturbation does not apply to it, e.g. no
    name to swap; a variant equal to the text is dropped: it would test nothing)."""
    kind = perturbation.kind
    variants: list[str | None]
    if kind == "lowercase":
        variants = [text.lower()]
    elif kind == "uppercase":
        variants = [text.upper()]
    elif kind == "punctuation":
        stripped = _TRAILING_PUNCT.sub("", text)
        variants = [stripped if stripped != text else text.rstrip() + "."]
    elif kind == "add_negation":
        variants = [_NEGATABLE.sub(lambda m: f"{m.group(1)} not", text, count=1)]
    elif kind == "append":
        variants = [_join(text, perturbation.text)]
    elif kind == "prepend":
        variants = [_join(perturbation.text, text)]
    else:
        variants = []
        for _ in range(perturbation.samples):
            if kind == "typos":
                variants.append(_typos(text, perturbation.count, rng))
            elif kind == "swap_names":
                variants.append(_swap(text, FIRST_NAMES, rng))
            elif kind == "swap_places":
                variants.append(_swap(text, PLACES, rng))
            elif kind == "swap_numbers":
                variants.append(_numbers(text, rng))
            elif kind == "add_neutral":
                sentence = rng.choice(perturbation.sentences or NEUTRAL_SENTENCES)
                variants.append(_join(text, sentence))
    out: list[str] = []
    for variant in variants:
        if variant is not None and variant != text and variant not in out:
            out.append(variant)
    return out


def _rng(suite: Suite, test: Test) -> random.Random:
    # str seeds are hashed with sha512 by random.seed (version 2): stable across runs.
    return random.Random(f"{suite.seed}\t{test.name}")


def generate_cases(suite: Suite, *, texts: Sequence[str] = ()) -> tuple[list[Case], dict[str, int]]:
    """Every test's cases, and per test how many texts its perturbation did not apply to.
    Invariance and directional tests without texts of their own use `texts` (the project's
    real items, chosen by the caller); with neither, the error names the test."""
    lexicons = {**BUILTIN_LEXICONS, **suite.lexicons}
    cases: list[Case] = []
    skipped: dict[str, int] = {}
    for i, test in enumerate(suite.tests):
        rng = _rng(suite, test)
        if test.type == "mft":
            cases.extend(_mft_cases(test, lexicons, rng))
            skipped[test.name] = 0
            continue
        assert test.perturbation is not None
        sources = test.texts or tuple(texts)
        if not sources:
            raise SuiteError(f"tests[{i}].texts", f'"{test.name}" has no texts to perturb')
        made, missed = 0, 0
        for original in sources:
            if made >= test.max_cases:
                break
            variants = perturb(original, test.perturbation, rng)
            if not variants:
                missed += 1
            for variant in variants[: test.max_cases - made]:
                cases.append(Case(test.name, test.type, variant, original=original))
                made += 1
        skipped[test.name] = missed
    return cases, skipped


# --- running ---------------------------------------------------------------------------


@dataclass
class TestResult:
    name: str
    type: str
    cases: int
    passed: int
    skipped: int  # texts the perturbation did not apply to
    failures: list[dict[str, Any]]  # the first DEFAULT_MAX_FAILURES failing cases
    # Every failing case's id (cases given ids only): a later run's regressions are the
    # cases that fail now and passed before.
    failing_ids: list[Any] = field(default_factory=list)

    __test__ = False  # not a pytest class, despite the name

    @property
    def failed(self) -> int:
        return self.cases - self.passed

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.cases if self.cases else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "cases": self.cases,
            "passed": self.passed,
            "failed": self.failed,
            "pass_rate": self.pass_rate,
            "skipped": self.skipped,
            "failures": self.failures,
            "failing_ids": self.failing_ids,
        }


@dataclass
class SuiteResult:
    suite: str
    tests: list[TestResult]

    @property
    def cases(self) -> int:
        return sum(t.cases for t in self.tests)

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.tests)

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.cases if self.cases else None

    def test(self, name: str) -> TestResult:
        return next(t for t in self.tests if t.name == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "cases": self.cases,
            "passed": self.passed,
            "pass_rate": self.pass_rate,
            "tests": [t.as_dict() for t in self.tests],
        }


PredictProba = Callable[[list[str]], Any]  # texts → n × labels array


def run_suite(
    suite: Suite | Mapping[str, Any],
    predict_proba: PredictProba,
    labels: Sequence[str],
    *,
    texts: Sequence[str] = (),
    batch_size: int = 1000,
    max_failures: int = DEFAULT_MAX_FAILURES,
    multi_label: bool = False,
) -> SuiteResult:
    """Generate the cases, ask the model once per distinct text (in batches), judge each
    case. `labels` names `predict_proba`'s columns. With `multi_label` the prediction is
    the set of labels scored >= 0.5 (mft: the expected label is in it; inv: the set is
    unchanged); otherwise the top label."""
    if not isinstance(suite, Suite):
        suite = parse_suite(suite)
    labels = list(labels)
    for i, test in enumerate(suite.tests):
        for key, value in (("expected", test.expected), ("label", test.label)):
            if value and value not in labels:
                raise SuiteError(f"tests[{i}].{key}", f'"{value}" is not a label of the model')
    cases, skipped = generate_cases(suite, texts=texts)
    distinct = list(dict.fromkeys(t for c in cases for t in (c.text, c.original) if t is not None))
    scores = _predict(predict_proba, distinct, len(labels), batch_size)
    row = {text: i for i, text in enumerate(distinct)}
    return judge_cases(
        suite,
        cases,
        lambda text: scores[row[text]],
        labels,
        skipped=skipped,
        max_failures=max_failures,
        multi_label=multi_label,
    )


def judge_cases(
    suite: Suite,
    cases: Sequence[Case],
    scores_of: Callable[[str], np.ndarray],
    labels: Sequence[str],
    *,
    skipped: Mapping[str, int] | None = None,
    max_failures: int = DEFAULT_MAX_FAILURES,
    multi_label: bool = False,
) -> SuiteResult:
    """Judge cases already made (generated now, or stored and perhaps confirmed by
    annotators) given each text's scores (`labels` columns): what `run_suite` does after
    predicting, and what an external model's imported predictions are scored with."""
    labels = list(labels)
    skipped = skipped or {}
    by_test: dict[str, TestResult] = {
        t.name: TestResult(t.name, t.type, 0, 0, skipped.get(t.name, 0), []) for t in suite.tests
    }
    spec = {t.name: t for t in suite.tests}
    for case in cases:
        result = by_test[case.test]
        test = spec[case.test]
        p = scores_of(case.text)
        predicted = _predicted(p, labels, multi_label)
        failure: dict[str, Any] | None = None
        if case.type == "mft":
            hit = case.expected in predicted if multi_label else predicted == case.expected
            if not hit:
                failure = {"text": case.text, "expected": case.expected, "predicted": predicted}
        else:
            assert case.original is not None
            q = scores_of(case.original)
            before = _predicted(q, labels, multi_label)
            if case.type == "inv":
                if predicted != before:
                    failure = {
                        "original": case.original,
                        "text": case.text,
                        "predicted_original": before,
                        "predicted": predicted,
                    }
            else:
                k = labels.index(test.label)
                delta = float(p[k] - q[k])
                moved = (
                    delta > test.tolerance if test.direction == "up" else delta < -test.tolerance
                )
                if not moved:
                    failure = {
                        "original": case.original,
                        "text": case.text,
                        "label": test.label,
                        "direction": test.direction,
                        "score_original": float(q[k]),
                        "score": float(p[k]),
                    }
        result.cases += 1
        if failure is None:
            result.passed += 1
        else:
            if case.id is not None:
                failure["case"] = case.id
                result.failing_ids.append(case.id)
            if len(result.failures) < max_failures:
                result.failures.append(failure)
    return SuiteResult(suite.name, [by_test[t.name] for t in suite.tests])


def _predicted(p: np.ndarray, labels: list[str], multi_label: bool) -> Any:
    """The top label, or (multi-label) the sorted list of labels at or above 0.5."""
    if multi_label:
        return [name for name, score in zip(labels, p, strict=True) if score >= 0.5]
    return labels[max(range(len(labels)), key=lambda i: p[i])]  # the first top one


def _predict(predict_proba: PredictProba, texts: list[str], width: int, batch: int) -> np.ndarray:
    import numpy as np

    parts = []
    for start in range(0, len(texts), batch):
        chunk = texts[start : start + batch]
        out = np.asarray(predict_proba(chunk), dtype=np.float64)
        if out.shape != (len(chunk), width):
            raise SuiteError(
                "predict_proba",
                f"returned shape {out.shape} for {len(chunk)} texts and {width} labels",
            )
        parts.append(out)
    return np.vstack(parts) if parts else np.zeros((0, width))
