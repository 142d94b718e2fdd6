"""Workbench workflows, one module per area; this package re-exports their public API.

Callers keep writing `services.next_item(...)`. A new area gets its own module here and
its public names added below. Tests that replace a function must patch the module that
looks it up (e.g. `services.imports.import_batch`), not this package.
"""

from trainerdesk.lib.errors import ConflictError, InvalidInput, WorkbenchError
from trainerdesk.workbench import formats
from trainerdesk.workbench.services.assignment import (
    QueueShare,
    assign_items,
    assign_queue_share,
    assignable_usernames,
    member_by_username,
)
from trainerdesk.workbench.services.comments import (
    MAX_COMMENT_CHARS,
    PostedComment,
    delete_comment,
    edit_comment,
    mark_notifications_read,
    mentioned_usernames,
    post_comment,
)
from trainerdesk.workbench.services.data_manager import (
    MAX_SELECTION,
    ItemPage,
    ItemRow,
    delete_items,
    export_selection,
    filtered_items,
    item_page,
    item_status,
    requeue_items,
    set_items_priority,
)
from trainerdesk.workbench.services.export import (
    data_keys,
    export_left_out,
    export_records,
    export_stream,
    final_answers,
)
from trainerdesk.workbench.services.gold import mark_gold, set_gold, unmark_gold
from trainerdesk.workbench.services.image_files import (
    image_keys,
    image_limits,
    item_server_image,
    server_image,
)
from trainerdesk.workbench.services.image_uploads import ImageUploadResult, add_images
from trainerdesk.workbench.services.imports import (
    BatchResult,
    add_items,
    check_upload,
    import_batch,
    import_file,
    import_stream,
    run_import,
    start_import,
)
from trainerdesk.workbench.services.members import remove_project_member, set_project_member
from trainerdesk.workbench.services.predictions import add_prediction
from trainerdesk.workbench.services.progress import (
    THROUGHPUT_DAYS,
    AnnotatorProgress,
    Progress,
    ProgressOverview,
    progress_overview,
    project_progress,
)
from trainerdesk.workbench.services.progress_counts import recount as recount_progress
from trainerdesk.workbench.services.projects import (
    GOLD_SETTINGS,
    create_project,
    set_priority,
    update_project,
)
from trainerdesk.workbench.services.queue import (
    SubmitResult,
    lease_of,
    next_item,
    release_expired_leases,
    submit_annotation,
    withdraw_annotation,
)
from trainerdesk.workbench.services.search import (
    FTS_TABLE,
    FTS_TEXT_VIEW,
    index_pending_items,
    schedule_search_indexing,
    search_index_pending,
)
from trainerdesk.workbench.services.webhooks import (
    WEBHOOK_TEST_EVENT,
    create_webhook,
    delete_webhook,
    deliver_webhook,
    emit_event,
    send_test_event,
    update_webhook,
)

__all__ = [
    "ConflictError",
    "InvalidInput",
    "WorkbenchError",
    "formats",
    "GOLD_SETTINGS",
    "create_project",
    "set_priority",
    "update_project",
    "remove_project_member",
    "set_project_member",
    "mark_gold",
    "set_gold",
    "unmark_gold",
    "SubmitResult",
    "lease_of",
    "next_item",
    "release_expired_leases",
    "submit_annotation",
    "withdraw_annotation",
    "AnnotatorProgress",
    "Progress",
    "ProgressOverview",
    "THROUGHPUT_DAYS",
    "progress_overview",
    "project_progress",
    "recount_progress",
    "FTS_TABLE",
    "FTS_TEXT_VIEW",
    "index_pending_items",
    "schedule_search_indexing",
    "search_index_pending",
    "WEBHOOK_TEST_EVENT",
    "create_webhook",
    "delete_webhook",
    "deliver_webhook",
    "emit_event",
    "send_test_event",
    "update_webhook",
    "add_prediction",
    "image_keys",
    "image_limits",
    "item_server_image",
    "server_image",
    "BatchResult",
    "add_items",
    "check_upload",
    "import_batch",
    "import_file",
    "import_stream",
    "run_import",
    "start_import",
    "ImageUploadResult",
    "add_images",
    "data_keys",
    "export_left_out",
    "export_records",
    "export_stream",
    "final_answers",
    "ItemPage",
    "ItemRow",
    "MAX_SELECTION",
    "delete_items",
    "export_selection",
    "filtered_items",
    "item_page",
    "item_status",
    "requeue_items",
    "set_items_priority",
    "MAX_COMMENT_CHARS",
    "PostedComment",
    "delete_comment",
    "edit_comment",
    "mark_notifications_read",
    "mentioned_usernames",
    "post_comment",
    "QueueShare",
    "assign_items",
    "assign_queue_share",
    "assignable_usernames",
    "member_by_username",
]
