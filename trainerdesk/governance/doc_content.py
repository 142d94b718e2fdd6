"""The shape every governance document's content has, and its hash (no Django imports).

A document is plain JSON, built by a pure builder (doc_datasheet, doc_model_card,
doc_annex_iv) from facts a service gathered, so the same facts always give the same bytes
and the same sha256. Sections hold blocks of four kinds:

- ``facts``: label/value rows, values already formatted (what the HTML and PDF print);
- ``table``: columns and rows of formatted cells;
- ``person``: a field only a person can write (intended use, motivation, ...), its text
  as given or empty; the page and the PDF mark it "written by a person";
- ``note``: a sentence the system writes about the facts (e.g. a caveat it can derive).

A fact the database cannot give is never guessed: its value is ``not available: <why>``
(`na`). Nothing in the content depends on when or by whom it was generated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

import orjson

NOT_AVAILABLE = "not available: "


def na(why: str) -> str:
    """The value of a fact the system does not have, with the reason."""
    return NOT_AVAILABLE + why


def canonical(value: Any) -> bytes:
    """Sorted keys, no whitespace: the bytes the content hash is taken over."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def content_sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def num(value: float | None, digits: int = 3, *, why: str = "not computed") -> str:
    if value is None:
        return na(why)
    return f"{value:.{digits}f}"


def pct(part: int, whole: int) -> str:
    if not whole:
        return na("no items to count")
    return f"{part / whole:.1%} ({part:,} of {whole:,})"


def interval(value: float | None, low: float | None, high: float | None) -> str:
    """ "0.850 (95% interval 0.780–0.900)"; a missing bound is said, not dropped."""
    if value is None:
        return na("not computed")
    if low is None or high is None:
        return f"{value:.3f} (no interval: too few items)"
    return f"{value:.3f} (95% interval {low:.3f}–{high:.3f})"


def when(iso: str | None) -> str:
    """An ISO timestamp (UTC, as the facts carry them) as "2026-12-04 21:05:26 UTC"."""
    if not iso:
        return na("not recorded")
    return f"{iso[:10]} {iso[11:19]} UTC"


def model_label(model: str, version: str) -> str:
    """ "baseline v2", or just "m1" when the version is named like its model (imported
    predictions make a model per version name)."""
    return version if model == version or not version else f"{model} {version}"


def facts(rows: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {"type": "facts", "rows": [[label, str(value)] for label, value in rows]}


def table(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], *, caption: str = "", empty: str = ""
) -> dict[str, Any]:
    body = [[str(c) for c in row] for row in rows]
    block: dict[str, Any] = {"type": "table", "caption": caption, "columns": list(columns)}
    block["rows"] = body
    if not body:
        block["empty"] = empty or na("nothing recorded")
    return block


def note(text: str) -> dict[str, Any]:
    return {"type": "note", "text": text}


def person(key: str, texts: dict[str, str], fields: dict[str, str]) -> dict[str, Any]:
    """The person-written field `key` (its label from `fields`); empty until written."""
    return {
        "type": "person",
        "key": key,
        "label": fields[key],
        "text": (texts.get(key) or "").strip(),
    }


def section(key: str, title: str, blocks: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"key": key, "title": title, "blocks": [b for b in blocks if b]}


def document(
    *,
    kind: str,
    title: str,
    subject: dict[str, Any],
    sections: list[dict[str, Any]],
    inputs: list[dict[str, Any]],
) -> dict[str, Any]:
    """The whole content; inputs sorted so the order facts were gathered in cannot change
    the hash."""
    ordered = sorted(inputs, key=lambda i: (str(i.get("type")), str(i.get("id"))))
    return {
        "format": 1,
        "kind": kind,
        "title": title,
        "subject": subject,
        "sections": sections,
        "inputs": ordered,
    }


def person_fields_of(content: dict[str, Any]) -> list[dict[str, Any]]:
    """Every person block of a content, in document order (the edit form, the checklist)."""
    return [
        block
        for sec in content.get("sections", [])
        for block in sec.get("blocks", [])
        if block.get("type") == "person"
    ]


def clean_texts(texts: dict[str, Any] | None, fields: dict[str, str]) -> dict[str, str]:
    """Only the kind's own person fields, stripped; unknown keys are refused by the caller."""
    texts = texts or {}
    return {k: str(texts[k]).strip() for k in sorted(fields) if str(texts.get(k) or "").strip()}


def input_ref(kind: str, pk: Any, sha256: str, label: str = "") -> dict[str, Any]:
    return {"type": kind, "id": pk, "sha256": sha256, "label": label}
