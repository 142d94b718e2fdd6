"""What the career self-assessment (the `careers` app) hands to the membership application.

The careers app links to `network:apply?assessment=<token>` or `?answers=<signed>`. It
lands on its own branch; until it is installed the link still opens the apply page, just
without the prefill. Looked up by name so this app never breaks when careers is absent.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

log = logging.getLogger(__name__)


def career_answers(*, token: str = "", signed: str = "") -> dict[str, Any]:
    """The assessment's answers and result as a plain dict, or {} when there is nothing
    (no careers app, an unknown token, a tampered signature)."""
    if not (token or signed):
        return {}
    try:
        careers = importlib.import_module("trainerdesk.careers.services")
    except ImportError:
        return {}
    try:
        found = careers.result_for_token(token) if token else careers.answers_from_signed(signed)
    except Exception as exc:  # a bad or expired link is the visitor's, not a server error
        log.info("career assessment link not usable: %s", type(exc).__name__)
        return {}
    if found is None:
        return {}
    if isinstance(found, dict):  # signed answers: nothing was kept, only what they chose
        return {"answers": found}
    return {  # a kept result (careers.CareerAssessmentResult)
        "answers": getattr(found, "answers", {}),
        "score": getattr(found, "score", None),
        "recommendation": getattr(found, "recommendation", ""),
        "questionnaire_version": getattr(found, "questionnaire_version", None),
    }
