"""Collaboration pages: an item's page with its comment thread, the inbox, and a project's
webhooks with their delivery log.

Access goes through access.py like every other page: an item or comment the user may not
reach is a 404. The thread is one partial (#thread) that both the item page and the
annotation page's comments panel swap with htmx; every form also works as a plain post.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trainerdesk.workbench import access, extensions, services, visibility
from trainerdesk.workbench.forms import CommentForm, WebhookForm
from trainerdesk.workbench.models import Comment, Item, Project

ITEM_TEMPLATE = "workbench/item_detail.html"
INBOX_SIZE = 200
DELIVERY_LOG_SIZE = 50


def _threads(item: Item) -> list[dict]:
    """The item's threads, oldest first, each as its first comment and the replies."""
    comments = list(
        Comment.objects.filter(item=item).select_related("author").order_by("created_at", "id")
    )
    threads: dict[int, dict] = {}
    for comment in comments:
        if comment.parent_id is None:
            threads[comment.pk] = {"root": comment, "replies": []}
    for comment in comments:
        if comment.parent_id in threads:
            threads[comment.parent_id]["replies"].append(comment)
    return list(threads.values())


def _thread_context(request, project: Project, item: Item, **extra) -> dict:
    return {
        "project": project,
        "item": item,
        "threads": _threads(item),
        "form": extra.pop("form", None) or CommentForm(),
        "comments_url": reverse("workbench:item_comments", args=[project.pk, item.pk]),
        **extra,
    }


def _thread_response(request, context: dict, *, status: int = 200) -> HttpResponse:
    return TemplateResponse(request, f"{ITEM_TEMPLATE}#thread", context, status=status)


def _item_url(project_id: int, item_id: int, comment_id: int | None = None) -> str:
    url = reverse("workbench:item_detail", args=[project_id, item_id])
    return f"{url}#comment-{comment_id}" if comment_id else url


def _posted_notice(result: services.PostedComment) -> list[str]:
    notes = []
    if result.notified:
        notes.append("Notified: " + ", ".join(f"@{n}" for n in result.notified) + ".")
    for name, why in result.not_notified:
        notes.append(f"@{name} was not notified: {why}.")
    return notes


@login_required
@require_GET
def item_detail(request: HttpRequest, project_id: int, item_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="view")
    item = access.get_commented_item_for_user(request.user, project, item_id)
    annotations = (
        access.annotations_visible_to(request.user, project)
        .filter(item=item)
        .select_related("annotator")
        .order_by("created_at", "id")
    )
    can_see_all = access.can(project, "see_all_work")
    # Annotators see what the annotation page shows them, nothing more (visibility.py).
    data = item.data if can_see_all else visibility.annotator_data(project, item.data)
    context = _thread_context(
        request,
        project,
        item,
        annotations=annotations,
        item_json=json.dumps(data, indent=2, ensure_ascii=False),
        external_id=item.external_id
        if can_see_all
        else visibility.annotator_external_id(project, item),
        can_see_all=can_see_all,
        can_manage=access.can(project, "manage"),
    )
    if context["can_see_all"]:  # the final answer sums up everyone's work
        context["final"] = services.final_answers(project=project, item_ids=[item.pk])[item.pk]
        context["settings_text"] = extensions.describe_settings(project)
    if context["can_manage"]:
        from trainerdesk.workbench.forms import GoldItemForm

        context["gold_form"] = GoldItemForm(
            initial={
                "reference": item.reference,
                "explanation": item.gold_explanation,
                "is_gold": item.is_gold,
            }
        )
    return TemplateResponse(request, ITEM_TEMPLATE, context)


@login_required
@require_http_methods(["GET", "POST"])
def item_comments(request: HttpRequest, project_id: int, item_id: int) -> HttpResponse:
    """GET: the thread partial (the annotation page loads it). POST: a comment or a reply."""
    project = access.get_project_for_user(request.user, project_id, action="view")
    item = access.get_commented_item_for_user(request.user, project, item_id)
    if request.method == "GET":
        return _thread_response(request, _thread_context(request, project, item))
    form = CommentForm(request.POST)
    errors: list[str] = []
    notes: list[str] = []
    if form.is_valid():
        parent = None
        if form.cleaned_data["parent"]:
            parent = access.get_comment_for_user(request.user, project, form.cleaned_data["parent"])
        try:
            result = services.post_comment(
                project=project,
                item=item,
                author=request.user,
                body=form.cleaned_data["body"],
                parent=parent,
            )
        except services.InvalidInput as exc:
            errors = exc.errors
        else:
            notes = _posted_notice(result)
            if not request.htmx:
                for note in notes:
                    messages.info(request, note)
                return redirect(_item_url(project.pk, item.pk, result.comment.pk))
            form = None
    else:
        errors = [f"{name}: {', '.join(problems)}" for name, problems in form.errors.items()]
    if errors and not request.htmx:
        for error in errors:
            messages.error(request, error)
        return redirect(_item_url(project.pk, item.pk))
    context = _thread_context(
        request, project, item, form=form, errors=errors, notes=notes,
        failed_parent=request.POST.get("parent") if errors else None,
    )  # fmt: skip
    return _thread_response(request, context, status=422 if errors else 200)


@login_required
@require_POST
def comment_edit(request: HttpRequest, project_id: int, comment_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="view")
    comment = access.get_comment_for_user(request.user, project, comment_id)
    form = CommentForm(request.POST)
    errors: list[str] = []
    notes: list[str] = []
    try:
        body = request.POST.get("body", "") if form.is_valid() else ""
        notes = _posted_notice(services.edit_comment(comment=comment, by=request.user, body=body))
    except services.InvalidInput as exc:
        errors = exc.errors
    if not request.htmx:
        for error in errors:
            messages.error(request, error)
        for note in notes:
            messages.info(request, note)
        return redirect(_item_url(project.pk, comment.item_id, comment.pk))
    context = _thread_context(request, project, comment.item, errors=errors, notes=notes)
    return _thread_response(request, context, status=422 if errors else 200)


@login_required
@require_POST
def comment_delete(request: HttpRequest, project_id: int, comment_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="view")
    comment = access.get_comment_for_user(request.user, project, comment_id)
    item = comment.item
    errors: list[str] = []
    try:
        services.delete_comment(comment=comment, by=request.user)
    except services.InvalidInput as exc:
        errors = exc.errors
    if not request.htmx:
        for error in errors:
            messages.error(request, error)
        return redirect(_item_url(project.pk, item.pk))
    context = _thread_context(request, project, item, errors=errors)
    return _thread_response(request, context, status=422 if errors else 200)


# --- the inbox ------------------------------------------------------------------------------


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    entries = (
        access.notifications_for(request.user)
        .select_related("comment__author", "comment__project", "comment__item")
        .select_related("item__project", "actor")
        .order_by(F("read_at").asc(nulls_first=True), "-created_at", "-id")[:INBOX_SIZE]
    )
    full_view = access.projects_seeing_all_work(request.user)
    return TemplateResponse(
        request, "workbench/inbox.html", {"entries": entries, "full_view": full_view}
    )


@login_required
@require_GET
def inbox_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Follow an inbox entry: it is read now, and the comment's item page opens."""
    entry = (
        access.notifications_for(request.user)
        .select_related("comment")
        .filter(pk=notification_id)
        .first()
    )
    if entry is None:
        return redirect("workbench:inbox")
    services.mark_notifications_read(user=request.user, ids=[entry.pk])
    if entry.comment is None:  # a sent-back answer: the annotation page serves it first
        return redirect("workbench:annotate", project_id=entry.item.project_id)
    comment = entry.comment
    return redirect(_item_url(comment.project_id, comment.item_id, comment.pk))


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    """Mark one entry read (`notification`), or all of them."""
    raw = request.POST.get("notification", "")
    ids = [int(raw)] if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**63 else None
    if ids is None and raw:
        messages.error(request, f"notification: {raw[:40]!r} is not an inbox entry")
    else:
        count = services.mark_notifications_read(user=request.user, ids=ids)
        if ids is None:
            messages.success(request, f"{count} entr{'y' if count == 1 else 'ies'} marked read.")
    return redirect("workbench:inbox")


# --- webhooks -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def project_webhooks(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="manage")
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            hook = services.create_webhook(project=project, by=request.user, **form.cleaned_data)
        except services.InvalidInput as exc:
            for error in exc.errors:
                name, _, message = error.partition(": ")
                form.add_error(name if name in form.fields else None, message or error)
        else:
            messages.success(request, f"Webhook to {hook.url} registered.")
            return redirect("workbench:project_webhooks", project_id=project.pk)
    context = {
        "project": project,
        "form": form,
        "hooks": project.webhooks.order_by("id"),
        "deliveries": access.deliveries_visible_to(request.user, project)
        .select_related("webhook")
        .order_by("-created_at", "-id")[:DELIVERY_LOG_SIZE],
        "log_size": DELIVERY_LOG_SIZE,
    }
    status = 400 if form.is_bound else 200
    return TemplateResponse(request, "workbench/webhooks.html", context, status=status)


@login_required
@require_POST
def webhook_action(request: HttpRequest, project_id: int, webhook_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="manage")
    hook = access.get_webhook_for_user(request.user, project, webhook_id)
    action = request.POST.get("action")
    if action == "test":
        services.send_test_event(webhook=hook, by=request.user)
        messages.success(request, f"Test event queued for {hook.url}; see the delivery log.")
    elif action in ("activate", "deactivate"):
        services.update_webhook(webhook=hook, by=request.user, active=action == "activate")
        messages.success(request, f"Webhook to {hook.url} {action}d.")
    elif action == "delete":
        services.delete_webhook(webhook=hook, by=request.user)
        messages.success(request, f"Webhook to {hook.url} deleted with its delivery log.")
    else:
        messages.error(request, "action: choose test, activate, deactivate or delete")
    return redirect("workbench:project_webhooks", project_id=project.pk)


urlpatterns = [
    path("projects/<int:project_id>/items/<int:item_id>/", item_detail, name="item_detail"),
    path(
        "projects/<int:project_id>/items/<int:item_id>/comments/",
        item_comments,
        name="item_comments",
    ),
    path(
        "projects/<int:project_id>/comments/<int:comment_id>/edit/",
        comment_edit,
        name="comment_edit",
    ),
    path(
        "projects/<int:project_id>/comments/<int:comment_id>/delete/",
        comment_delete,
        name="comment_delete",
    ),
    path("inbox/", inbox, name="inbox"),
    path("inbox/read/", inbox_read, name="inbox_read"),
    path("inbox/<int:notification_id>/", inbox_open, name="inbox_open"),
    path("projects/<int:project_id>/webhooks/", project_webhooks, name="project_webhooks"),
    path(
        "projects/<int:project_id>/webhooks/<int:webhook_id>/",
        webhook_action,
        name="webhook_action",
    ),
]
