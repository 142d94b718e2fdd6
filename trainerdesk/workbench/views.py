"""Project pages: the list, creation, overview, settings, members, import and export.

Every project page starts with access.get_project_for_user, so a user without the right
role gets the same 404 as for a project that does not exist. The annotation page lives in
views_annotate.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trainerdesk.accounts.models import Membership
from trainerdesk.lib import streams
from trainerdesk.lib.markup import render_markdown
from trainerdesk.workbench import (
    access,
    blind,
    extensions,
    formats,
    images,
    runs,
    services,
    views_runs,
)
from trainerdesk.workbench.forms import (
    ExportForm,
    GoldItemForm,
    ImageUploadForm,
    ImportForm,
    ItemActionForm,
    MemberForm,
    ProjectCreateForm,
    ProjectSettingsForm,
    QueueShareForm,
)
from trainerdesk.workbench.models import Project, ProjectMember
from trainerdesk.workbench.schema import task_schema

User = get_user_model()
_LABEL_PATH = re.compile(r"^fields\[0\]\.labels\[(\d+)\]\.?")
RECENT_IMPORTS = 20
SHOWN_ROW_ERRORS = 100


def _show_errors(form, errors: list[str], *, fields: set[str], labels: list | None = None):
    """Put each service error ("field.path: message") next to the form field it names."""
    for error in errors:
        rest = error.partition(".")[2]
        key = error.split(":", 1)[0].split(".", 1)[0]
        if key == "label_schema" and labels is not None and rest.startswith("fields[0].source"):
            form.add_error("source", rest.split(":", 1)[-1].strip())
        elif key == "label_schema" and labels is not None:
            # Built from the labels box: point at the line instead of a JSON path.
            match = _LABEL_PATH.match(rest)
            if match and int(match[1]) < len(labels):
                label = labels[int(match[1])]
                detail = rest[match.end() :].lstrip(":").strip()
                form.add_error("labels", f"line {label['line']} ({label['value']}): {detail}")
            else:
                form.add_error("labels", rest)
        elif key == "label_schema" and key in fields:
            form.add_error(key, rest)
        elif key in fields:
            form.add_error(key, error.split(":", 1)[1].strip() if ":" in error else error)
        else:
            form.add_error(None, error)


def _schema_from_labels(data: dict) -> dict:
    entries = [
        {"value": label["value"]} | ({"hotkey": label["hotkey"]} if label["hotkey"] else {})
        for label in data["labels"]
    ]
    return task_schema(
        data["task_type"], source=data["source"].strip(), labels=entries, multiple=data["multiple"]
    )


# --- project list and creation ---------------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    visible = Project.objects.visible_to(request.user).values("pk")
    projects = (
        Project.objects.filter(pk__in=visible)
        .select_related("organization")
        .annotate(
            total=Count("items"),
            done=Count("items", filter=Q(items__done_count__gte=F("overlap"))),
        )
        .order_by("organization__name", "name")
    )
    context = {
        "projects": projects,
        "can_create": access.organizations_managed_by(request.user).exists(),
    }
    return TemplateResponse(request, "workbench/home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def project_new(request: HttpRequest) -> HttpResponse:
    organizations = access.organizations_managed_by(request.user)
    if not organizations.exists():
        raise Http404("Only organization owners and admins create projects")
    form = ProjectCreateForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        from_labels = data["task_type"] != "custom"
        schema = _schema_from_labels(data) if from_labels else data["label_schema"]
        try:
            project = services.create_project(
                organization=data["organization"],
                created_by=request.user,
                name=data["name"],
                description=data["description"],
                instructions=data["instructions"],
                label_schema=schema,
                overlap=data["overlap"],
                ordering=data["ordering"],
                blind_order=data["blind_order"],
            )
        except services.InvalidInput as exc:
            _show_errors(
                form,
                exc.errors,
                fields=set(form.fields),
                labels=data["labels"] if from_labels else None,
            )
        else:
            messages.success(request, f"Project “{project.name}” created. Import items next.")
            return redirect("workbench:project_import", project_id=project.pk)
    status = 400 if form.is_bound else 200
    return TemplateResponse(request, "workbench/project_new.html", {"form": form}, status=status)


# --- one project -----------------------------------------------------------------------


@login_required
@require_GET
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="view")
    context = {
        "project": project,
        "progress": services.project_progress(project=project, user=request.user),
        "annotation_count": access.annotations_visible_to(request.user, project)
        .filter(skipped=False)
        .count(),
        "guidelines": render_markdown(project.instructions),
        "is_manager": access.can(project, "manage"),
        "schema": project.schema,
        "role": project.user_role,
    }
    return TemplateResponse(request, "workbench/project_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def project_settings(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="manage")
    initial = {
        "name": project.name,
        "description": project.description,
        "instructions": project.instructions,
        "label_schema": json.dumps(project.label_schema, indent=2, ensure_ascii=False),
        "overlap": project.overlap,
        "ordering": project.ordering,
        "annotators_see_others": project.annotators_see_others,
        "blind_order": project.blind_order,
        "annotators_see_comments": project.annotators_see_comments,
        "annotator_fields": ", ".join(project.annotator_fields),
        "annotators_see_external_id": project.annotators_see_external_id,
        **{key: getattr(project, key) for key in services.GOLD_SETTINGS},
    }
    form = ProjectSettingsForm(request.POST or None, initial=initial)
    # Each app's settings section (extensions.SettingsSection): its own form, same page.
    sections = [
        (section, section.form(request.POST or None, initial=section.read(project=project)))
        for section in extensions.settings_sections()
    ]
    # Blind order only means something where annotators compare responses: left out of the
    # form (so a save leaves the stored value alone) unless the schema has such a field.
    if not blind.response_sources(project.schema):
        del form.fields["blind_order"]
    form.fields["label_schema"].widget.attrs.update(
        {
            "hx-post": reverse("workbench:schema_check", args=[project.pk]),
            "hx-trigger": "input changed delay:400ms, schema-edited",
            "hx-target": "#schema-check",
            "hx-swap": "outerHTML",
        }
    )
    forms_ = [form, *(section_form for _, section_form in sections)]
    valid = [f.is_valid() for f in forms_]  # every form, so each shows its errors
    if request.method == "POST" and all(valid):
        try:
            changes = {k: v for f in forms_ for k, v in f.cleaned_data.items()}
            services.update_project(project=project, by=request.user, **changes)
        except services.InvalidInput as exc:
            # Each error beside its field, in whichever form holds it (else atop the page).
            owner = {name: f for _, f in sections for name in f.fields}
            for error in exc.errors:
                target = owner.get(error.split(":", 1)[0].split(".", 1)[0], form)
                _show_errors(target, [error], fields=set(target.fields))
        else:
            messages.success(request, "Settings saved.")
            return redirect("workbench:project_settings", project_id=project.pk)
    context = {
        "project": project,
        "form": form,
        "sections": [{"title": s.title, "form": f} for s, f in sections],
        "guidelines": project.guidelines.select_related("created_by")[:10],
    }
    status = 400 if form.is_bound else 200
    return TemplateResponse(request, "workbench/project_settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def project_members(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="manage")
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        user = User.objects.filter(username=username).first()
        try:
            if user is None:
                # Same words as for someone outside the organization: no account probing.
                raise services.InvalidInput(
                    [f"username: {username} is not in {project.organization}"]
                )
            services.set_project_member(
                project=project, user=user, role=form.cleaned_data["role"], by=request.user
            )
        except services.InvalidInput as exc:
            errors = [e.replace("user:", "username:", 1) for e in exc.errors]
            _show_errors(form, errors, fields=set(form.fields))
        else:
            messages.success(request, f"{username} is now {form.cleaned_data['role']}.")
            return redirect("workbench:project_members", project_id=project.pk)
    org_members = Membership.objects.filter(organization=project.organization).select_related(
        "user"
    )
    context = {
        "project": project,
        "form": form,
        "members": ProjectMember.objects.filter(project=project)
        .select_related("user")
        .order_by("user__username"),
        "org_admins": [m for m in org_members if m.is_admin],
        "org_usernames": sorted(m.user.get_username() for m in org_members),
    }
    status = 400 if form.is_bound else 200
    return TemplateResponse(request, "workbench/project_members.html", context, status=status)


@login_required
@require_POST
def member_remove(request: HttpRequest, project_id: int, user_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="manage")
    member = (
        ProjectMember.objects.filter(project=project, user_id=user_id)
        .select_related("user")
        .first()
    )
    if member is None:
        raise Http404("No such member")
    services.remove_project_member(project=project, user=member.user, by=request.user)
    messages.success(
        request,
        f"{member.user.get_username()} removed; their answers stay, their open item is released.",
    )
    return redirect("workbench:project_members", project_id=project.pk)


# --- import ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def project_import(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="manage")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.start_import(
                project=project, upload=form.cleaned_data["file"], by=request.user
            )
        except services.InvalidInput as exc:
            _show_errors(form, exc.errors, fields=set(form.fields))
        else:
            return redirect("workbench:import_job", project_id=project.pk, job_id=job.pk)
    runs.fail_stale_runs(project=project)
    context = {
        "project": project,
        "form": form,
        "imports": project.imports.select_related("created_by")[:RECENT_IMPORTS],
        "required_data": project.schema.required_data(),
        "image_project": bool(services.image_keys(project.schema)),
        "max_upload_mb": settings.MAX_UPLOAD_BYTES / 1048576,
    }
    status = 400 if form.is_bound else 200
    return TemplateResponse(request, "workbench/project_import.html", context, status=status)


@login_required
@require_GET
def import_job(request: HttpRequest, project_id: int, job_id: int) -> HttpResponse:
    project = access.get_project_with_runs(request.user, project_id, action="manage")
    job = access.get_import_for_user(request.user, project, job_id)
    context = {
        "project": project,
        "job": job,
        "row_errors": job.errors[:SHOWN_ROW_ERRORS],
    } | views_runs.card_context(
        job,
        poll_url=reverse("workbench:import_job", args=[project.pk, job.pk]),
        card_id="import-progress",
        title="Progress",
        percent_of="of the file read",
        details="workbench/import_job.html#import-details",
    )
    if request.htmx:
        return views_runs.run_progress(request, context)
    return TemplateResponse(request, "workbench/import_job.html", context)


# --- export ----------------------------------------------------------------------------


LEFT_OUT_ON_PAGE_MAX_ITEMS = 10_000
_FORMAT_NAMES = {"conll": "CoNLL", "coco": "COCO"}


@login_required
@require_GET
def project_export(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="manage")
    needs = {"conll": "spans", "coco": "boxes"}  # formats only some task types can fill
    allowed = [
        fmt
        for fmt in formats.EXPORT_FORMATS
        if fmt not in needs or needs[fmt] in project.schema.types
    ]
    bound = "format" in request.GET
    form = ExportForm(request.GET if bound else None, formats_allowed=allowed)
    if bound and form.is_valid():
        fmt = form.cleaned_data["format"]
        chunks = services.export_stream(
            project=project,
            fmt=fmt,
            only_labeled=form.cleaned_data["only_labeled"],
            include_annotations=form.cleaned_data["include_annotations"],
            include_final=form.cleaned_data["include_final"],
            by=request.user,
        )
        try:
            chunks = streams.hold_download_slot(chunks, limit=settings.MAX_DOWNLOADS)
        except streams.DownloadsBusy as exc:
            form.add_error(None, str(exc))
        else:
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            extension = formats.FILE_EXTENSIONS[fmt]
            filename = f"{slugify(project.name) or 'project'}-{stamp}.{extension}"
            response = StreamingHttpResponse(chunks, content_type=formats.CONTENT_TYPES[fmt])
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            response["Cache-Control"] = "no-store"
            return response
    # COCO and CoNLL leave out items without a final answer; say which before the download,
    # since a CoNLL file cannot list them. Finding them runs the export (about 1 s per
    # 20,000 items), so larger projects get a link to the list instead.
    item_count = project.items.count()
    checked = [fmt for fmt in ("conll", "coco") if fmt in allowed]
    left_out = {}
    if item_count <= LEFT_OUT_ON_PAGE_MAX_ITEMS:
        left_out = {fmt: services.export_left_out(project=project, fmt=fmt) for fmt in checked}
    context = {
        "project": project,
        "form": form,
        "item_count": item_count,
        "settings_text": extensions.describe_settings(project),  # the final label rule
        "left_out": {_FORMAT_NAMES[fmt]: entries for fmt, entries in left_out.items() if entries},
        "left_out_links": [] if left_out else [(fmt, _FORMAT_NAMES[fmt]) for fmt in checked],
    }
    status = (503 if form.non_field_errors() else 400) if bound else 200
    response = TemplateResponse(request, "workbench/project_export.html", context, status=status)
    if status == 503:
        response["Retry-After"] = "30"
    return response


# --- the data manager ------------------------------------------------------------------


def _choice_labels(project: Project) -> list[str]:
    labels: dict[str, None] = {}
    for f in project.schema.fields:
        if f.type == "choice":
            labels.update(dict.fromkeys(f.label_values))
    return list(labels)


@login_required
@require_GET
def data_manager(request: HttpRequest, project_id: int) -> HttpResponse:
    """The project's items as a filterable table; the filters live in the query string
    so a view can be shared. Managers and reviewers only."""
    from trainerdesk.workbench import filters

    project = access.get_project_for_user(request.user, project_id, action="see_all_work")
    labels = _choice_labels(project)
    errors: list[str] = []
    try:
        chosen = filters.parse_filters(request.GET.get, labels=labels, getlist=request.GET.getlist)
    except filters.FilterErrors as exc:
        errors = exc.errors
        chosen = filters.ItemFilter()
    page = None
    if not errors:
        try:
            page = services.item_page(project=project, filters=chosen, size=filters.PAGE_SIZE)
        except services.InvalidInput as exc:
            errors = exc.errors
    rows = page.rows if page else []
    _add_thumbnails(project, rows)
    context = {
        "project": project,
        "filter": chosen,
        "raw": request.GET,
        "errors": errors,
        "page": page,
        "labels": labels,
        "statuses": filters.STATUSES,
        "sorts": filters.SORTS,
        "can_manage": access.can(project, "manage"),
        "prev_query": chosen.query(after=None, before=rows[0].item.pk) if rows else "",
        "next_query": chosen.query(before=None, after=rows[-1].item.pk) if rows else "",
        "this_query": chosen.query(),
        "action_form": ItemActionForm(),
        "here": reverse("workbench:data_manager", args=[project.pk]),
        **_data_manager_extras(project, chosen, page),
    }
    template = "workbench/data_manager.html"
    if request.htmx:
        template += "#table"
    # 422 so htmx still swaps the message in; a plain page load gets 400.
    status = (422 if request.htmx else 400) if errors else 200
    return TemplateResponse(request, template, context, status=status)


@login_required
@require_POST
def data_manager_action(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="manage")
    form = ItemActionForm(request.POST)
    back = reverse("workbench:data_manager", args=[project.pk])
    query = request.POST.get("query", "")
    if query and query.isprintable() and not query.startswith(("/", "?")) and len(query) < 2000:
        back += "?" + query
    if not form.is_valid():
        for name, problems in form.errors.items():
            for problem in problems:
                messages.error(request, f"{name}: {problem}" if name != "__all__" else problem)
        return redirect(back)
    data, ids = form.cleaned_data, form.cleaned_data["item"]
    try:
        if data["action"] == "export":
            chunks = streams.hold_download_slot(
                services.export_selection(project=project, item_ids=ids, by=request.user),
                limit=settings.MAX_DOWNLOADS,
            )
            stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
            filename = f"{slugify(project.name) or 'project'}-selection-{stamp}.jsonl"
            response = StreamingHttpResponse(chunks, content_type=formats.CONTENT_TYPES["jsonl"])
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            response["Cache-Control"] = "no-store"
            return response
        if data["action"] == "delete":
            count = services.delete_items(project=project, item_ids=ids, by=request.user)
            messages.success(request, f"Deleted {count} item{'s' if count != 1 else ''}.")
        elif data["action"] == "priority":
            count = services.set_items_priority(
                project=project, item_ids=ids, priority=data["priority"], by=request.user
            )
            messages.success(request, f"Priority {data['priority']} set on {count} item(s).")
        elif data["action"] in ("assign", "unassign"):
            count = _assign_selection(request, project, ids, data)
        elif data["action"] in ("gold", "ungold"):
            _gold_selection(request, project, ids, data["action"])
        else:
            count = services.requeue_items(project=project, item_ids=ids, by=request.user)
            messages.success(request, f"Re-queued: {count} open lease(s) released.")
    except services.InvalidInput as exc:
        for error in exc.errors:
            messages.error(request, error)
    except streams.DownloadsBusy as exc:
        messages.error(request, str(exc))
    return redirect(back)


# --- gold items -------------------------------------------------------------------------


def _gold_selection(request: HttpRequest, project: Project, ids: list[int], action: str) -> None:
    if action == "ungold":
        count = services.unmark_gold(project=project, item_ids=ids, by=request.user)
        messages.success(request, f"Gold removed from {count} item(s).")
        return
    count, missing = services.mark_gold(project=project, item_ids=ids, by=request.user)
    messages.success(request, f"Marked {count} item(s) as gold with their final answer.")
    if missing:
        shown = ", ".join(map(str, missing[:20])) + ("…" if len(missing) > 20 else "")
        messages.error(
            request,
            f"Not marked (no final answer to use as the reference: no answers yet, or the "
            f"answers tie): {shown}",
        )


@login_required
@require_POST
def item_gold(request: HttpRequest, project_id: int, item_id: int) -> HttpResponse:
    """Set an item's reference answer (JSON), explanation and gold flag. Managers only."""
    project = access.get_project_for_user(request.user, project_id, action="manage")
    item = access.get_item_for_user(request.user, project, item_id)
    form = GoldItemForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.set_gold(
                project=project,
                item=item,
                reference=data["reference"],
                is_gold=data["is_gold"],
                explanation=data["explanation"],
                by=request.user,
            )
            messages.success(request, "Gold settings saved.")
        except services.InvalidInput as exc:
            for error in exc.errors:
                messages.error(request, error)
    else:
        for name, problems in form.errors.items():
            for problem in problems:
                messages.error(request, f"{name}: {problem}")
    return redirect("workbench:item_detail", project.pk, item.pk)


# --- images ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def image_upload(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access.get_project_for_user(request.user, project_id, action="manage")
    form = ImageUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.add_images(
                project=project, files=form.cleaned_data["files"], by=request.user
            )
        except services.InvalidInput as exc:
            _show_errors(form, exc.errors, fields=set(form.fields))
        else:
            form = ImageUploadForm()
    context = {
        "project": project,
        "form": form,
        "result": result,
        "image_keys": services.image_keys(project.schema),
        "image_count": project.images.count(),
        "max_image_mb": settings.MAX_IMAGE_BYTES / 1048576,
        "image_root_on": settings.IMAGE_ROOT is not None,
    }
    status = 200
    if form.is_bound and not form.is_valid():
        status = 422 if request.htmx else 400  # htmx swaps a 422 in, so the message shows
    template = "workbench/image_upload.html"
    if request.htmx:
        template += "#upload"
    return TemplateResponse(request, template, context, status=status)


def _image_response(path, content_type: str, *, immutable: bool) -> FileResponse:
    try:
        response = FileResponse(path.open("rb"), content_type=content_type)
    except OSError:
        raise Http404("No such image") from None
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    # Private: only members may see it, so no shared cache may keep it.
    response["Cache-Control"] = (
        "private, max-age=31536000, immutable" if immutable else "private, max-age=300"
    )
    return response


@login_required
@require_GET
def image_file(request: HttpRequest, project_id: int, sha256: str) -> HttpResponse:
    """An uploaded image, by content hash (so it may be cached for good)."""
    project = access.get_project_for_user(request.user, project_id, action="view")
    asset = access.get_image_for_user(request.user, project, sha256)
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / asset.path).resolve()
    if not path.is_relative_to(root):
        raise Http404("No such image")
    return _image_response(path, asset.content_type, immutable=True)


@login_required
@require_GET
def item_image(request: HttpRequest, project_id: int, item_id: int, key: str) -> HttpResponse:
    """The server-root image an item names under `key`, checked again now (the file or a
    symlink may have changed since the import)."""
    project = access.get_project_for_user(request.user, project_id, action="view")
    item = access.get_item_for_user(request.user, project, item_id)
    try:
        path, info = services.item_server_image(project=project, item=item, key=key)
    except ValueError:
        raise Http404("No such image") from None
    return _image_response(path, info.content_type, immutable=False)


# --- data manager: columns, assignment; the progress page ------------------------------------


def _add_thumbnails(project: Project, rows: list) -> None:
    """`row.thumb`: where the browser loads the item's first image from, for image projects
    (the same URLs as the annotation page, each checked again when the image is fetched)."""
    keys = services.image_keys(project.schema)
    for row in rows:
        row.thumb = None
        value = row.item.data.get(keys[0]) if keys else None
        try:
            kind, rest = images.ref_kind(value) if isinstance(value, str) else ("", "")
        except ValueError:
            continue
        if kind == "upload":
            row.thumb = reverse("workbench:image_file", args=[project.pk, rest])
        elif kind == "path":
            row.thumb = reverse("workbench:item_image", args=[project.pk, row.item.pk, keys[0]])
        elif kind == "url":
            row.thumb = rest


def _data_manager_extras(project: Project, chosen, page) -> dict:
    from trainerdesk.workbench import filters

    columns = [(key, label) for key, label in filters.COLUMNS.items() if key in chosen.columns]
    # Data fields to offer as columns: the keys of the items on this page (reading a
    # sample of the project instead cost a sort of all its items on SQLite).
    keys: dict[str, None] = {}
    for row in page.rows if page else []:
        keys.update(dict.fromkeys(row.item.data))
    data_keys = [k for k in keys if filters.is_data_key(k)]
    data_keys += [k for k in chosen.data_columns if k not in keys]
    members = services.assignable_usernames(project=project)
    return {
        "columns": columns,
        "show": dict.fromkeys(chosen.columns, True),
        "data_columns": chosen.data_columns,
        "column_count": len(columns) + len(chosen.data_columns) + 1,
        "all_columns": filters.COLUMNS,
        "data_keys": data_keys,
        "members": members,
        "share_form": QueueShareForm(usernames=members),
        "search_pending": bool(chosen.q) and services.search_index_pending(project=project),
    }


def _assign_selection(request: HttpRequest, project: Project, ids: list[int], data) -> int:
    if data["action"] == "unassign":
        count = services.assign_items(project=project, item_ids=ids, assignee=None, by=request.user)
        messages.success(request, f"{count} item(s) back in the shared queue.")
        return count
    username = data["assignee"].strip()
    user = services.member_by_username(project=project, username=username)
    count = services.assign_items(project=project, item_ids=ids, assignee=user, by=request.user)
    skipped = len(ids) - count
    note = f" ({skipped} already worked on by {username} or not in this project)" if skipped else ""
    messages.success(request, f"{count} item(s) assigned to {username}{note}.")
    return count


@login_required
@require_POST
def queue_share(request: HttpRequest, project_id: int) -> HttpResponse:
    """Assign a share of the open, unassigned items to named annotators."""
    project = access.get_project_for_user(request.user, project_id, action="manage")
    form = QueueShareForm(request.POST, usernames=services.assignable_usernames(project=project))
    back = reverse("workbench:data_manager", args=[project.pk])
    if not form.is_valid():
        for name, problems in form.errors.items():
            for problem in problems:
                messages.error(request, f"{name}: {problem}" if name != "__all__" else problem)
        return redirect(back)
    data = form.cleaned_data
    try:
        users = [
            services.member_by_username(project=project, username=name)
            for name in data["assignees"]
        ]
        share = services.assign_queue_share(
            project=project,
            assignees=users,
            count=data["count"],
            percent=data["percent"],
            order=data["order"],
            by=request.user,
        )
    except services.InvalidInput as exc:
        for error in exc.errors:
            messages.error(request, error)
    else:
        done = ", ".join(f"{name}: {n}" for name, n in share.assigned.items())
        messages.success(request, f"Assigned from the shared queue ({done}).")
    return redirect(back)


@login_required
@require_GET
def progress(request: HttpRequest, project_id: int) -> HttpResponse:
    """Items done / total, per-annotator numbers and throughput; annotators see only
    their own row and their own throughput."""
    project = access.get_project_for_user(request.user, project_id, action="view")
    overview = services.progress_overview(
        project=project, user=request.user, everyone=access.can(project, "see_all_work")
    )
    context = {"project": project, "overview": overview, "chart": overview.chart_data()}
    return TemplateResponse(request, "workbench/progress.html", context)
