"""The annotation page: one item at a time, keyboard first, next item without a reload.

Kept apart from views.py because it is the hot path of the product and has its own
partials (workspace, progress) that htmx swaps after every answer.
"""

from __future__ import annotations

import json
import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from trainerdesk.lib.markup import render_markdown
from trainerdesk.workbench import access, blind, extensions, formats, images, services, visibility
from trainerdesk.workbench.models import Annotation, Item, Project
from trainerdesk.workbench.readable import answer_letter
from trainerdesk.workbench.schema import Field

TEMPLATE = "workbench/annotate.html"
SKIP_REASONS = [
    ("unsure", "Unsure"),
    ("context", "Not enough context"),
    ("unsafe", "Offensive or unsafe content"),
    ("broken", "Broken or unreadable item"),
    ("other", "Other"),
]
UI_TYPES = {"choice", "text", "spans", "relations", "pairwise", "ranking", "rating", "boxes"}
# Posted as JSON in a hidden input that spans.js (spans, relations), llm.js or images.js
# (boxes) fills.
JSON_TYPES = {"spans", "relations", "pairwise", "ranking", "rating", "boxes"}
LABEL_COLOURS = 8  # CSS classes lab-0 .. lab-7, by the label's position in its field


def _token_html(text: str) -> tuple[SafeString, str, str]:
    """The text as one <span> per whitespace token, built once on the server.

    Returns the HTML and the tokens' start and end offsets (space-separated, in characters
    of the Python string, which is what spans are counted in) so the browser never has to
    measure text. Whitespace is kept as is (the container uses pre-wrap); each line is its
    own block so that labelling a span re-lays out one paragraph, not a 50 kB document.
    """
    tokens = formats.tokenize(text)
    parts: list[str] = ['<div class="para">']
    pos = 0
    for i, (start, end) in enumerate(tokens):
        gap = text[pos:start]
        if "\n" in gap and i:
            cut = gap.rindex("\n") + 1
            parts.append(f'{escape(gap[:cut])}</div><div class="para">{escape(gap[cut:])}')
        else:
            parts.append(escape(gap))
        parts.append(f'<span class="tok" data-i="{i}">{escape(text[start:end])}</span>')
        pos = end
    parts.append(f"{escape(text[pos:])}</div>")
    starts = " ".join(str(s) for s, _ in tokens)
    ends = " ".join(str(e) for _, e in tokens)
    return mark_safe("".join(parts)), starts, ends  # noqa: S308 (every piece is escaped)


def _spans_view(field: Field, value: object, data: dict) -> dict:
    text = data.get(field.source or "")
    spans = [
        {"start": s.get("start"), "end": s.get("end"), "label": s.get("label")}
        for s in (value if isinstance(value, list) else [])
        if isinstance(s, dict)
    ]
    view = {"spans_json": json.dumps(spans), "has_text": isinstance(text, str)}
    if isinstance(text, str):
        view["token_html"], view["starts"], view["ends"] = _token_html(text)
    return view


def responses_of(data: dict, source: str | None, order: list[int] | None = None) -> list[dict]:
    """The item's responses as {index, letter, text} in the order shown (index is the
    shown position; blind.py maps it back); model names stay hidden."""
    raw = data.get(source or "")
    raw = raw if isinstance(raw, list) else []
    out = []
    for i, r in enumerate([raw[j] for j in order] if order else raw):
        text = r.get("text") if isinstance(r, dict) else r
        out.append(
            {"index": i, "letter": answer_letter(i), "text": text if isinstance(text, str) else ""}
        )
    return out


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _llm_view(
    field: Field, value: object, data: dict, shown: list[int] | None, suggested: object
) -> dict:
    """What the pairwise, ranking and rating controls need: stored choices and the
    suggestion, in plain values and shown positions."""
    responses = responses_of(data, field.source, shown)
    view: dict = {"json_value": json.dumps(value) if value is not None else ""}
    if field.type == "pairwise":
        stored = value if isinstance(value, dict) else {}
        preferred = stored.get("preferred")
        view["preferred"] = "tie" if preferred == "tie" else str(_int_or_none(preferred))
        view["strength"] = _int_or_none(stored.get("strength"))
        hint = suggested if isinstance(suggested, dict) else {}
        view["suggested_preferred"] = str(hint.get("preferred", ""))
        view["suggested_strength"] = _int_or_none(hint.get("strength"))
        # Pairwise compares the item's first two responses, wherever the shuffle put them.
        view["sides"] = [r for r in responses if (shown[r["index"]] if shown else r["index"]) < 2]
        view["strengths"] = [(1, "slightly"), (2, "clearly"), (3, "much")]
    elif field.type == "ranking":
        n = len(responses)
        order = value if isinstance(value, list) else []
        if not all(_int_or_none(o) is not None for o in order) or sorted(order) != list(range(n)):
            order = list(range(n))  # nothing (valid) stored: the item's own order, unconfirmed
        view["order"] = [responses[i] for i in order]
        if isinstance(suggested, list):
            view["suggested_order"] = json.dumps(suggested)
            view["suggested_letters"] = ", ".join(answer_letter(i) for i in suggested)
    elif field.type == "rating":
        per_response = field.options.get("per_response")
        targets = responses if per_response else [None]
        stored = value if isinstance(value, list) else [value]
        hints = suggested if isinstance(suggested, list) else [suggested]
        rows = []
        for pos, target in enumerate(targets):
            scores = stored[pos] if pos < len(stored) and isinstance(stored[pos], dict) else {}
            hint = hints[pos] if pos < len(hints) and isinstance(hints[pos], dict) else {}
            for c in field.options.get("criteria", ()):
                chosen = _int_or_none(scores.get(c.name))
                tip = _int_or_none(hint.get(c.name))
                group = f"ui_{field.name}_{c.name}" + (f"_{pos}" if per_response else "")
                rows.append(
                    {
                        "criterion": c.name,
                        "response": target,
                        "group": group,
                        "position": pos,
                        "values": [(v, v == chosen, v == tip) for v in range(c.min, c.max + 1)],
                    }
                )
        view["rows"] = rows
        view["per_response"] = bool(per_response)
    return view


def image_view(project: Project, item: Item, key: str) -> dict:
    """Where the browser loads the item's image from, and its size when the server knows it
    (see workbench/images.py for the reference forms)."""
    value = item.data.get(key)
    view: dict = {"key": key, "url": None, "width": None, "height": None, "problem": None}
    try:
        kind, rest = images.ref_kind(value) if isinstance(value, str) else ("", "")
    except ValueError as exc:
        return view | {"problem": str(exc)}
    if kind == "upload":
        asset = project.images.filter(sha256=rest).only("width", "height").first()
        if asset is None:
            return view | {"problem": f"{value} is not an image of this project"}
        url = reverse("workbench:image_file", args=[project.pk, rest])
        return view | {"url": url, "width": asset.width, "height": asset.height}
    if kind == "path":
        return view | {"url": reverse("workbench:item_image", args=[project.pk, item.pk, key])}
    if kind == "url":
        return view | {"url": rest}
    return view | {"problem": f"no image under {key}"}


def _boxes_view(value: object) -> dict:
    boxes = [b for b in (value if isinstance(value, list) else []) if isinstance(b, dict)]
    return {"boxes_json": json.dumps(boxes)}


def _suggestions(item: Item | None, schema_fields) -> dict[str, str]:
    """Per field, the item's predicted answers as JSON ({"answer", "model_version", "score"}
    each), which images.js shows as suggestions until the annotator accepts one."""
    wanted = {f.name for f in schema_fields if f.type == "boxes" or f.data_kind == "image"}
    if item is None or not wanted:
        return {}
    out: dict[str, list] = {}
    for p in item.predictions.order_by("-score", "id")[:20]:
        answer = p.answer if isinstance(p.answer, dict) else {}
        for name in wanted & set(answer):
            entry = {"answer": answer[name], "model_version": p.model_version, "score": p.score}
            out.setdefault(name, []).append(entry)
    return {name: json.dumps(entries) for name, entries in out.items()}


def _render(request: HttpRequest, context: dict, *, status: int = 200) -> HttpResponse:
    template = f"{TEMPLATE}#workspace" if request.htmx else TEMPLATE
    return TemplateResponse(request, template, context, status=status)


def _workspace(
    request: HttpRequest,
    project: Project,
    item: Item | None,
    *,
    annotation: Annotation | None = None,
    errors: list[str] | None = None,
    chosen: dict | None = None,
) -> dict:
    schema = project.schema
    if chosen is None:
        chosen = dict(annotation.answer) if annotation and not annotation.skipped else {}
    image_keys = services.image_keys(schema)
    suggestions = _suggestions(item, schema.fields)
    # Box labels without a hotkey get 1-9 when no choice field claims the digits.
    box_digits = "choice" not in schema.types
    orders = _orders_shown(project, item, annotation, request.user)
    chosen = blind.to_shown_order(schema, chosen, orders)
    prediction = item.best_prediction() if item is not None else None
    suggested = (
        blind.to_shown_order(
            schema, schema.validate_prediction(prediction.answer, item.data, strict=False), orders
        )
        if prediction is not None
        else {}
    )
    # Image fields have their own suggestions (boxes drawn dashed on the image, images.js).
    image_fields = {f.name for f in schema.fields if f.type == "boxes" or f.data_kind == "image"}
    suggested = {k: v for k, v in suggested.items() if k not in image_fields}
    fields = []
    for field in schema.fields:
        if field.type not in UI_TYPES:
            continue
        value = chosen.get(field.name)
        hint = suggested.get(field.name)
        selected, tips = set(), set()
        if field.type == "choice":
            selected = set(value if isinstance(value, list) else [value] if value else [])
            tips = set(hint if isinstance(hint, list) else [hint] if hint else [])
        entry = {
            "field": field,
            "text_value": value if field.type == "text" and isinstance(value, str) else "",
            "suggested_text": hint if field.type == "text" and isinstance(hint, str) else None,
            "suggested_json": json.dumps(hint) if field.type in {"spans", "relations"} else "",
            "labels": [
                {
                    "label": label,
                    "checked": label.value in selected,
                    "suggested": label.value in tips,
                    "colour": f"lab-{i % LABEL_COLOURS}",
                }
                for i, label in enumerate(field.labels)
            ],
        }
        if field.type == "spans" and item is not None:
            entry |= _spans_view(field, value, item.data)
        elif field.type == "relations":
            relations = [
                {"from": r.get("from"), "to": r.get("to"), "label": r.get("label")}
                for r in (value if isinstance(value, list) else [])
                if isinstance(r, dict)
            ]
            entry["relations_json"] = json.dumps(relations)
        elif field.type in {"pairwise", "ranking", "rating"} and item is not None:
            entry |= _llm_view(
                field, value, schema.with_responses(item.data), orders.get(field.source or ""), hint
            )
        elif field.type == "boxes":
            entry |= _boxes_view(value)
            used = {lb.key for f in schema.fields for lb in f.labels if lb.key}
            for i, lab in enumerate(entry["labels"]):
                digit = str(i + 1)
                lab["key"] = lab["label"].key or (
                    digit if box_digits and i < 9 and digit not in used else None
                )
            box_digits = False  # only the first boxes field is drawn on the image
        entry["suggestions_json"] = suggestions.get(field.name, "")
        fields.append(entry)
    unsupported = sorted({f.type for f in schema.fields} - UI_TYPES)
    data = schema.with_responses(item.data) if item else {}
    # LLM evaluation: the prompt is shown as the item's text and the responses beside it.
    response_sources = blind.response_sources(schema)
    source = visibility.text_source(schema)
    # Only what the schema renders and the manager chose to show (visibility.py).
    shown = visibility.annotator_data(project, data)
    title = shown.get("title") if isinstance(shown.get("title"), str) else None
    span_sources = {f.source for f in schema.fields if f.type == "spans"}
    return {
        "response_blocks": [
            {"source": s, "responses": rs}
            for s in response_sources
            if (rs := responses_of(data, s, orders.get(s)))
        ],
        "response_order_json": json.dumps(orders) if orders else "",
        "prediction": prediction if suggested else None,
        "keys_hint": _keys_hint(
            fields,
            bool(suggested),
            image=bool(image_keys and item),
            image_suggestions=any(f["suggestions_json"] for f in fields),
        ),
        "text_in_spans": source in span_sources,  # the token view replaces the plain text
        "has_spans": bool(span_sources),
        "image": image_view(project, item, image_keys[0]) if image_keys and item else None,
        "has_boxes": "boxes" in schema.types,
        "project": project,
        "item": item,
        "annotation": annotation,
        "fields": fields,
        "unsupported": unsupported,
        "text": data.get(source) if isinstance(data.get(source), str) else None,
        "title": title,
        "meta": {
            k: v if isinstance(v, str | int | float) else json.dumps(v, ensure_ascii=False)
            for k, v in visibility.extra_fields(project, data).items()
            if not (k == "title" and title is not None)
        },
        "shown_data": shown,
        "external_id": visibility.annotator_external_id(project, item) if item else None,
        "client_id": uuid.uuid4(),
        "errors": errors or [],
        "skip_reasons": SKIP_REASONS,
        "guidelines_html": render_markdown(project.instructions),
        "is_review_of_past": annotation is not None,
    } | extensions.annotate_context(project=project, item=item, user=request.user)


def _orders_shown(
    project: Project, item: Item | None, annotation: Annotation | None, user
) -> dict[str, list[int]]:
    """{data key: order} for the responses on the page: the order recorded with the user's
    earlier answer when going back, else (blind projects) the per-annotator shuffle."""
    if item is None or not project.blind_order:
        return {}
    if annotation is not None:
        return blind.check_orders(project.schema, item.data, annotation.response_order)[0]
    return {
        source: blind.shown_order(item_id=item.pk, user_id=user.pk, source=source, n=n)
        for source in blind.response_sources(project.schema)
        if (n := blind.count_responses(project.schema.with_responses(item.data), source)) >= 2
    }


def _keys_hint(
    fields: list[dict], suggestions: bool, *, image: bool = False, image_suggestions: bool = False
) -> SafeString:
    """The key list under the answer panel: only the keys this schema's controls use."""
    types = {f["field"].type for f in fields}
    # Box labels may carry a digit assigned on this page ("key") rather than in the schema.
    labels = [
        (lb.get("key") or lb["label"].key, lb["label"].value) for f in fields for lb in f["labels"]
    ]
    parts = [_label_keys_hint([(k, v) for k, v in labels if k])]
    # A label may own "0" (digit 0 of a digits project); the page's own "0" keys (fit the
    # image, accept the suggestions) then give way, to the Fit button and Shift+A.
    zero_is_a_label = any(k == "0" for k, _ in labels)
    if "boxes" in types:
        parts += [
            "drag on the image to draw, drag a box to move it, its corners to resize",
            "<kbd>Tab</kbd> next box · <kbd>←</kbd><kbd>↑</kbd><kbd>→</kbd><kbd>↓</kbd> move",
            "<kbd>Shift</kbd>+arrows resize · <kbd>x</kbd>/<kbd>Delete</kbd> remove box",
        ]
    if image:
        parts.append(
            "<kbd>+</kbd>/<kbd>-</kbd> zoom"
            + ("" if zero_is_a_label else " · <kbd>0</kbd> fit the image")
        )
    if image_suggestions:
        parts.append("<kbd>Shift</kbd>+<kbd>A</kbd> accept a suggestion on the image")
    if "spans" in types:
        parts += [
            "<kbd>←</kbd><kbd>→</kbd> move",
            "<kbd>Shift</kbd>+<kbd>←</kbd><kbd>→</kbd> extend",
            "<kbd>x</kbd>/<kbd>Delete</kbd> remove span · click a span to remove it",
        ]
    if "pairwise" in types:
        parts += ["<kbd>,</kbd> first better · <kbd>.</kbd> second better · <kbd>/</kbd> tie",
                  "<kbd>-</kbd>/<kbd>=</kbd> strength"]  # fmt: skip
    if types & {"rating", "ranking"}:
        parts.append("<kbd>↑</kbd><kbd>↓</kbd> focus a rating or a ranked response")
    if "rating" in types:
        parts.append("<kbd>1</kbd>–<kbd>9</kbd> rate the focused criterion")
    if "ranking" in types:
        parts.append("<kbd>Shift</kbd>+<kbd>↑</kbd><kbd>↓</kbd> move the focused response")
    if suggestions:
        parts.append(
            "<kbd>Shift</kbd>+<kbd>A</kbd> accept the suggestions"
            if zero_is_a_label
            else "<kbd>0</kbd> or <kbd>Shift</kbd>+<kbd>A</kbd> accept the suggestions"
        )
        if "spans" in types:
            parts.append("<kbd>'</kbd> select the next suggested span (its label key accepts it)")
    parts += [
        "<kbd>Ctrl</kbd>+<kbd>Z</kbd> undo",
        "<kbd>Enter</kbd> submit · <kbd>Space</kbd> skip · <kbd>Backspace</kbd> previous",
        "<kbd>?</kbd> guidelines",
    ]
    return mark_safe(" · ".join(p for p in parts if p))  # noqa: S308 (labels escaped above)


def _label_keys_hint(labels: list[tuple[str, str]]) -> str:
    """`b` business, `e` entertainment; keys that are their labels' own names (the digits
    of a digits project) are listed once, not as "0 0 1 1 …": `0`–`9` the labels of the
    same name."""
    same = [k for k, v in labels if k == v.lower()]
    if len(same) < 2:
        same = []
    parts = [str(format_html("<kbd>{}</kbd> {}", k, v)) for k, v in labels if k not in same]
    if same:
        run = len(same) >= 3 and "".join(same) in "0123456789"
        keys = (
            format_html("<kbd>{}</kbd>–<kbd>{}</kbd>", same[0], same[-1])
            if run
            else format_html_join(" ", "<kbd>{}</kbd>", ((k,) for k in same))
        )
        parts.append(f"{keys} the labels of the same name")
    return ", ".join(parts)


def answer_from_post(project: Project, post: QueryDict) -> tuple[dict, list[str]]:
    """Form fields → answer dict and the fields that could not even be read (bad JSON);
    validation proper is the schema's job in the service."""
    answer: dict = {}
    errors: list[str] = []
    for field in project.schema.fields:
        if field.type == "choice":
            values = post.getlist(f"f_{field.name}")
            if field.multiple:
                answer[field.name] = values or None
            else:
                answer[field.name] = values[0] if values else None
        elif field.type == "text":
            text = post.get(f"f_{field.name}", "")
            answer[field.name] = text or None
        elif field.type in JSON_TYPES:
            raw = post.get(f"f_{field.name}", "").strip()
            if not raw:
                continue
            try:
                answer[field.name] = json.loads(raw)
            except (ValueError, RecursionError) as exc:
                errors.append(f"answer.{field.name}: not valid JSON ({exc})")
    return {k: v for k, v in answer.items() if v is not None}, errors


def _given_to(project: Project, item: Item, user) -> bool:
    """Whether the queue gave the user this item (leased or assigned to them). Only such
    items, and those they answered, may be opened: any other would show its data and
    open its comments to them."""
    if item.assignee_id == user.pk:
        return True
    lease = services.lease_of(project=project, user=user)
    return lease is not None and lease.item_id == item.pk


@login_required
@require_GET
def annotate(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="annotate")
    item_id = request.GET.get("item")
    if item_id:
        # Going back: the user's own earlier answer on this item, to look at or change.
        item = access.get_item_for_user(request.user, project, item_id)
        annotation = Annotation.objects.filter(item=item, annotator=request.user).first()
        if annotation is None and not _given_to(project, item, request.user):
            return redirect("workbench:annotate", project_id=project.pk)
        return _render(request, _workspace(request, project, item, annotation=annotation))
    item = services.next_item(project=project, user=request.user)
    return _render(
        request, _with_gold_feedback(request, project, _workspace(request, project, item))
    )


@login_required
@require_GET
def back(request: HttpRequest, project_id: int) -> HttpResponse:
    """The user's previous annotation in this project, before the one given (or latest)."""
    project = access.get_project_for_user(request.user, project_id, action="annotate")
    history = Annotation.objects.filter(project=project, annotator=request.user).order_by(
        "-created_at", "-id"
    )
    before = request.GET.get("before")
    if before:
        current = history.filter(item_id=before).values_list("created_at", "id").first()
        if current is not None:
            history = history.filter(created_at__lte=current[0]).exclude(item_id=before)
    previous = history.select_related("item").first()
    if previous is None:
        item = services.next_item(project=project, user=request.user)
        context = _workspace(request, project, item)
        context["errors"] = ["There is no earlier item: this is the first one you answered."]
        return _render(request, context)
    url = reverse("workbench:annotate", args=[project.pk]) + f"?item={previous.item_id}"
    if request.htmx:
        response = _render(
            request, _workspace(request, project, previous.item, annotation=previous)
        )
        response["HX-Push-Url"] = url
        return response
    return redirect(url)


@login_required
@require_POST
def submit(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="annotate")
    item = access.get_item_for_user(request.user, project, request.POST.get("item"))
    skipped = request.POST.get("action") == "skip"
    try:
        client_id = uuid.UUID(request.POST.get("client_id", ""))
    except ValueError:
        client_id = None
    try:
        lead_time = min(float(request.POST.get("lead_time") or 0), 86400.0)
    except ValueError:
        lead_time = None
    answer, unreadable = ({}, []) if skipped else answer_from_post(project, request.POST)
    try:
        response_order = json.loads(request.POST.get("response_order") or "null")
    except ValueError:
        response_order, unreadable = None, [*unreadable, "response_order: not valid JSON"]
    # The page's controls speak in shown positions; store in the item's own order.
    orders, order_errors = blind.check_orders(project.schema, item.data, response_order)
    answer = blind.to_item_order(project.schema, answer, orders)
    try:
        if unreadable or order_errors:
            raise services.InvalidInput(unreadable + order_errors)
        submitted = services.submit_annotation(
            project=project,
            item=item,
            user=request.user,
            answer=answer,
            skipped=skipped,
            skip_reason=request.POST.get("skip_reason", "") if skipped else "",
            lead_time=lead_time,
            client_id=client_id,
            response_order=response_order,
            require_lease=True,
        )
    except services.WorkbenchError as exc:
        errors = getattr(exc, "errors", None) or [str(exc)]
        annotation = Annotation.objects.filter(item=item, annotator=request.user).first()
        if annotation is None and not _given_to(project, item, request.user):
            # A refused submit for an item the queue never gave them: show their own.
            item = services.next_item(project=project, user=request.user)
        context = _workspace(
            request, project, item, annotation=annotation, errors=errors, chosen=answer
        )
        return _render(request, context, status=422 if request.htmx else 200)
    _remember_gold_answer(request, project, item, submitted.annotation, skipped=skipped)
    if not request.htmx:
        return redirect("workbench:annotate", project_id=project.pk)
    item = services.next_item(project=project, user=request.user)
    response = _render(
        request, _with_gold_feedback(request, project, _workspace(request, project, item))
    )
    response["HX-Push-Url"] = reverse("workbench:annotate", args=[project.pk])
    response["HX-Trigger"] = "answered"  # refreshes the progress counter
    return response


@login_required
@require_GET
def progress(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="annotate")
    stats = services.project_progress(project=project, user=request.user)
    return TemplateResponse(
        request, f"{TEMPLATE}#progress", {"project": project, "progress": stats}
    )


# --- immediate feedback on gold items ------------------------------------------------------
# The answer just given to a gold item is remembered in the session and the feedback shown
# once, on the next workspace: never before the answer, and nothing on the gold item's own
# page differs from any other item's.


def _feedback_key(project: Project) -> str:
    return f"gold_feedback:{project.pk}"


def _remember_gold_answer(request, project: Project, item: Item, annotation, *, skipped: bool):
    if project.gold_feedback and item.is_gold and not skipped:
        request.session[_feedback_key(project)] = annotation.pk


def _with_gold_feedback(request, project: Project, context: dict) -> dict:
    annotation_id = request.session.pop(_feedback_key(project), None)
    if annotation_id is None:
        return context
    annotation = (
        Annotation.objects.filter(pk=annotation_id, annotator=request.user, project=project)
        .select_related("item")
        .first()
    )
    if annotation is not None:
        context["gold_feedback"] = extensions.answer_feedback(
            project=project, annotation=annotation
        )
    return context


urlpatterns = [
    path("projects/<int:project_id>/annotate/", annotate, name="annotate"),
    path("projects/<int:project_id>/annotate/back/", back, name="annotate_back"),
    path("projects/<int:project_id>/annotate/submit/", submit, name="annotate_submit"),
    path("projects/<int:project_id>/annotate/progress/", progress, name="annotate_progress"),
]
