"""Forms check the shape of what a page posts and carry errors back to it; the workflows
(and the label-schema rules) live in services.py."""

from __future__ import annotations

import re

from django import forms

from trainerdesk.workbench import formats, schema
from trainerdesk.workbench.models import Project, ProjectMember, Webhook

TASK_TYPES = [
    ("classification", "Text classification (one label per item)"),
    ("multilabel", "Multi-label classification (any number of labels)"),
    ("ner", "Named entities (mark spans of text)"),
    ("image_classification", "Image classification"),
    ("boxes", "Bounding boxes (draw boxes on an image)"),
    ("llm_compare", "LLM response comparison (preference, ratings, rationale)"),
    ("llm_rank", "LLM response ranking (order 3 or more responses)"),
    ("custom", "Custom: write the label schema JSON"),
]
# The source input's label per kind of item data, and example labels for the Custom template.
SOURCE_LABELS = {"text": "Text key", "image": "Image key", "responses": "Responses key"}
_EXAMPLE_LABELS = {
    "ner": [{"value": "person", "hotkey": "p"}, {"value": "place", "hotkey": "l"}],
    "image_classification": [{"value": "cat", "hotkey": "c"}, {"value": "dog", "hotkey": "d"}],
    "boxes": [{"value": "cat", "hotkey": "c"}, {"value": "dog", "hotkey": "d"}],
}
_EXAMPLE_TEXT_LABELS = [{"value": "positive", "hotkey": "p"}, {"value": "negative", "hotkey": "n"}]
# "label:key" — a trailing single character after a colon is the hotkey.
_LABEL_LINE = re.compile(r"^(?P<value>.*?\S)\s*:\s*(?P<key>\S)$")


class ProjectCreateForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=None, empty_label=None)
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown on the project list; for managers.",
    )
    instructions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Guidelines for annotators, in Markdown. Every change is kept as a new version.",
    )
    task_type = forms.ChoiceField(choices=TASK_TYPES, initial="classification")
    source = forms.CharField(
        required=False,
        max_length=64,
        initial="text",
        label="Text key",
        help_text="The key of each item's data that holds what to label: the text "
        '(<code>{"text": "…"}</code>), the image (<code>{"image": "https://…"}</code>) or the '
        'list of model responses (<code>{"prompt": "…", "responses": ["…", "…"]}</code>). '
        "Empty: text, image or responses.",
    )
    labels = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "business:b\nsport:s\ntech:t"}),
        help_text="One label per line. Add a keyboard shortcut with <code>label:key</code> "
        "(a lowercase letter or a digit 1-9). Used by the classification, entity and box "
        "task types.",
    )
    multiple = forms.BooleanField(
        required=False, label="Annotators may choose several labels for an image"
    )
    label_schema = forms.CharField(
        required=False,
        label="Label schema (JSON)",
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text="Used when the task type is Custom. Picking another task type and then "
        "Custom fills in a template to start from.",
    )
    overlap = forms.IntegerField(
        min_value=1,
        max_value=100,
        initial=1,
        help_text="How many different annotators label each item.",
    )
    ordering = forms.ChoiceField(choices=Project.Ordering.choices, initial="sequential")
    blind_order = forms.BooleanField(
        required=False,
        initial=True,
        label="Blind evaluation: shuffle the responses per annotator and hide model names",
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations

    @staticmethod
    def task_templates() -> dict:
        """Per task type: the source input's label and default, and the schema it builds
        (with example labels), for project_form.js to relabel the form and pre-fill Custom."""
        return {
            task: {
                "source_label": SOURCE_LABELS[kind],
                "source_default": kind,
                "schema": schema.task_schema(
                    task, labels=_EXAMPLE_LABELS.get(task, _EXAMPLE_TEXT_LABELS)
                ),
            }
            for task, kind in schema.TASK_DATA.items()
        }

    def clean_labels(self) -> list[dict]:
        """Parsed lines as {"line", "value", "hotkey"}; the schema rules check the values."""
        parsed = []
        for number, raw in enumerate(self.cleaned_data["labels"].splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            match = _LABEL_LINE.match(line)
            value, hotkey = (match["value"], match["key"]) if match else (line, None)
            parsed.append({"line": number, "value": value, "hotkey": hotkey})
        return parsed

    def clean(self):
        cleaned = super().clean()
        task_type = cleaned.get("task_type")
        if task_type == "custom":
            if not cleaned.get("label_schema", "").strip():
                self.add_error("label_schema", "Write the label schema JSON, or pick a task type.")
        elif task_type in schema.LABELLED_TASKS and "labels" in cleaned and not cleaned["labels"]:
            self.add_error("labels", "Give at least one label, one per line.")
        return cleaned


class ProjectSettingsForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    instructions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Markdown. Saving a change creates a new guideline version; annotations "
        "record the version they were made under.",
    )
    label_schema = forms.CharField(
        label="Label schema (JSON)",
        widget=forms.Textarea(attrs={"rows": 16, "spellcheck": "false"}),
        help_text="Changing labels does not rewrite existing annotations.",
    )
    overlap = forms.IntegerField(
        min_value=1, max_value=100, help_text="How many different annotators label each item."
    )
    ordering = forms.ChoiceField(choices=Project.Ordering.choices)
    annotators_see_others = forms.BooleanField(
        required=False,
        label="Annotators may see other annotators' answers",
    )
    blind_order = forms.BooleanField(
        required=False,
        label="Blind LLM evaluation: shuffle the responses per annotator and hide model names",
    )
    annotators_see_comments = forms.BooleanField(
        required=False,
        label="Annotators may read and write comments on the items they work on",
    )
    annotator_fields = forms.CharField(
        required=False,
        max_length=4000,
        label="Item data annotators see",
        help_text="Data keys shown to annotators besides the ones the label schema reads, "
        "comma-separated, e.g. title (shown as the heading). Everything else in an item's "
        "data (file names, sources, ids) stays hidden from them: it may give the answer away.",
    )
    annotators_see_external_id = forms.BooleanField(
        required=False, label="Annotators see each item's external id"
    )
    # Gold items (see the project's Gold page); the pass rule is in quality's section.
    gold_rate = forms.FloatField(
        required=False,
        min_value=0,
        max_value=1,
        initial=0,
        label="Gold rate",
        help_text="Share of served items that are gold (0 to 1); each annotator gets each "
        "gold item once, and cannot tell it is gold.",
    )
    gold_feedback = forms.BooleanField(
        required=False,
        label="Immediate feedback: after a gold item, show whether the answer was right",
    )

    def clean_annotator_fields(self) -> list[str]:
        raw = self.cleaned_data.get("annotator_fields") or ""
        return [key.strip() for key in raw.split(",") if key.strip()]

    def clean(self):
        data = super().clean()
        # A form posted without the gold fields (older clients) leaves them unchanged.
        if data.get("gold_rate") is None:
            data.pop("gold_rate", None)
        # Same for the annotator view: only a form that carries the setting changes it.
        if "annotator_fields" not in self.data:
            data.pop("annotator_fields", None)
            data.pop("annotators_see_external_id", None)
        return data


class GoldItemForm(forms.Form):
    reference = forms.JSONField(
        required=False,
        label="Reference answer (JSON)",
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )
    explanation = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown with the reference in immediate feedback.",
    )
    is_gold = forms.BooleanField(required=False, label="Gold item")


class MemberForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        help_text="Someone already in the organization. Adding an existing member changes "
        "their role.",
        widget=forms.TextInput(attrs={"list": "org-usernames", "autocomplete": "off"}),
    )
    role = forms.ChoiceField(choices=ProjectMember.Role.choices, initial="annotator")


class ImportForm(forms.Form):
    # Empty files pass here so the service can reject them with the file's name.
    file = forms.FileField(allow_empty_file=True)


class _MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class _MultipleFileField(forms.FileField):
    """Several files in one input (the pattern from Django's documentation)."""

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class ImageUploadForm(forms.Form):
    # Empty files pass here so the service can reject each bad one by name.
    files = _MultipleFileField(
        widget=_MultipleFileInput(attrs={"accept": "image/*,.zip"}),
        allow_empty_file=True,
        help_text="JPEG, PNG, GIF or WebP images, or .zip archives of them.",
    )


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[], initial="jsonl", widget=forms.RadioSelect)
    only_labeled = forms.BooleanField(required=False, label="Only items with at least one answer")
    # --- review: final labels, every annotation or both ---
    labels = forms.ChoiceField(
        choices=[
            ("both", "Final labels and every annotation (with reviewers' decisions)"),
            ("final", "Final labels only, by the project's final label rule"),
            ("annotations", "Every annotation only (with reviewers' decisions)"),
        ],
        required=False,
        initial="both",
        widget=forms.RadioSelect,
        label="Labels",
    )

    def clean(self):
        data = super().clean()
        # Links made before the labels choice sent include_annotations=on (or nothing).
        if not data.get("labels"):
            data["labels"] = "both" if self.data.get("include_annotations") else "final"
        data["include_annotations"] = data["labels"] != "final"
        data["include_final"] = data["labels"] != "annotations"
        return data

    LABELS = {
        "jsonl": "JSON Lines (.jsonl) — one item per line, round-trips into TrainerDesk",
        "csv": "CSV (.csv) — one row per annotation (per item for final labels only): "
        "answer.<field> and annotation.* columns for each annotation, final.<field> for the "
        "final answer; re-imports as the same items",
        "labelstudio": "Label Studio JSON (.json) — tasks with annotations and predictions",
        "conll": "CoNLL (.conll) — token per line with BIO tags, for span projects: final "
        "spans, or one block per annotation with “Every annotation only”",
        "coco": "COCO JSON (.coco.json) — boxes in pixels, for bounding-box projects: final "
        "boxes, or one image entry per annotation with “Every annotation only”",
    }

    def __init__(self, *args, formats_allowed: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["format"].choices = [
            (fmt, self.LABELS.get(fmt, fmt))
            for fmt in formats.EXPORT_FORMATS
            if fmt in formats_allowed
        ]


class _ItemIdsField(forms.Field):
    """The ids of the checked items (several inputs with one name)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        ids = []
        for raw in value or []:
            text = str(raw).strip()
            if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:
                raise forms.ValidationError(f"{text[:40]!r} is not an item id")
            ids.append(int(text))
        return ids


class ItemActionForm(forms.Form):
    """A bulk action on the items selected in the data manager."""

    ACTIONS = [
        ("priority", "Set priority"),
        ("assign", "Assign to…"),
        ("unassign", "Unassign (back to the shared queue)"),
        ("requeue", "Re-queue (release open leases)"),
        ("export", "Export selection (JSONL)"),
        ("gold", "Mark as gold (use the current final answer as the reference)"),
        ("ungold", "Unmark gold"),
        ("delete", "Delete"),
    ]

    action = forms.ChoiceField(choices=ACTIONS)
    item = _ItemIdsField(required=False)
    priority = forms.IntegerField(required=False, min_value=-(2**31), max_value=2**31 - 1)
    assignee = forms.CharField(required=False, max_length=150)

    def clean(self):
        data = super().clean()
        if data.get("action") == "priority" and data.get("priority") is None:
            self.add_error("priority", "Give the priority to set.")
        if data.get("action") == "assign" and not (data.get("assignee") or "").strip():
            self.add_error("assignee", "Choose the person to assign the items to.")
        return data


class QueueShareForm(forms.Form):
    """Assign a share of the open, unassigned items to named annotators."""

    assignees = forms.MultipleChoiceField(choices=[], widget=forms.CheckboxSelectMultiple)
    count = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)
    percent = forms.FloatField(required=False, min_value=0.01, max_value=100)
    order = forms.ChoiceField(
        choices=[("queue", "In queue order"), ("random", "At random")], initial="queue"
    )

    def __init__(self, *args, usernames: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignees"].choices = [(u, u) for u in usernames]

    def clean(self):
        data = super().clean()
        if (data.get("count") is None) == (data.get("percent") is None):
            self.add_error("count", "Give either a number of items or a percentage.")
        return data


# --- comments and webhooks ------------------------------------------------------------------


class CommentForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Comment (Markdown, @username)"}),
        # Empty and overlong bodies get the service's message, which names the field.
        required=False,
        strip=False,
    )
    parent = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="URL",
        max_length=1000,
        help_text="http:// or https://; e.g. a Slack incoming-webhook URL.",
        widget=forms.TextInput(attrs={"placeholder": "https://example.org/hooks/trainerdesk"}),
    )
    events = forms.MultipleChoiceField(
        choices=Webhook.Event.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Webhook.Event.IMPORT_FINISHED],
    )
    slack_format = forms.BooleanField(
        required=False,
        label='Slack-compatible: post {"text": "…"} instead of the full event',
    )
