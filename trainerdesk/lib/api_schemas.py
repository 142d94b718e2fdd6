"""Schemas every API module shares: strict request bodies, and the error answer."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field, ValidationInfo, model_validator
from pydantic.functional_validators import ModelWrapValidatorHandler


class InputSchema(Schema):
    """A request body. Strict: `0` is not `false`, `"1"` not `1`, `false` not `0.0`
    (pydantic's strict mode; an int is still a valid float). Fields read from strings by
    nature (datetime, UUID) say `Field(strict=False)`.

    Ninja's Schema reads its input through attribute access (for ORM objects), which
    turns a JSON array into an object with every field missing: `[null, null]` would
    pass as `{}`. A request body must be a JSON object."""

    model_config = ConfigDict(strict=True)

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler, info: ValidationInfo
    ) -> Any:
        if not isinstance(values, dict | cls):
            kind = "an array" if isinstance(values, list) else type(values).__name__
            raise ValueError(f"must be a JSON object, not {kind}")
        return handler(values)


class ErrorOut(Schema):
    """Every 4xx answer: what went wrong, naming the field, file or line where it can."""

    message: str
    errors: list[str] | None = Field(
        None, description="One entry per problem, e.g. `answer.topic: not one of the labels`."
    )
