"""The contracts app has no API endpoints (its writes are pages and services), so nothing
is listed here; its services' events are tested in test_services.py (gathered by
trainerdesk/tests/test_audit_api_coverage.py like every app's registry)."""

WRITES: dict = {}
DRIVERS: dict = {}
