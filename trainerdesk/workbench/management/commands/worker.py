"""`trainerdesk worker`: process queued background tasks (file imports) from the database.

A thin alias of django-tasks-db's db_worker so every option of it works here; run as many
as you like against one database (each picks tasks with row locks).
"""

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand


class Command(DbWorkerCommand):
    help = "Run a background worker for queued tasks (imports). Stop it with Ctrl-C or SIGTERM."
