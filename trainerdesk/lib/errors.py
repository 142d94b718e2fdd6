"""The error types every app's services raise (no Django imports).

Views and the API turn them into answers: `InvalidInput` is a 400/422 naming each problem,
`ConflictError` a 409. They were born in the workbench; every app uses them, so they live
here, below all apps, and `workbench.services` re-exports them under the same names.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """A refused request; the message is shown to the user as is."""


class ConflictError(WorkbenchError):
    pass


class InvalidInput(WorkbenchError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))
