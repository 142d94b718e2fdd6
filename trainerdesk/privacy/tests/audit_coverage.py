"""The privacy app's API writes and their audit actions (gathered by
trainerdesk/tests/test_audit_api_coverage.py). privacy has no API yet: its writes are
staff pages and services, each recording its event (privacy.request.*, privacy.subject.
erase, privacy.audit.pseudonymise, privacy.retention.*), covered by the page and service
tests in this folder and in trainerdesk/tests/privacy/."""

WRITES: dict = {}
DRIVERS: dict = {}
