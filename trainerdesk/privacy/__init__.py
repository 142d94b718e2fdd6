"""GDPR: the one erasure and export service every app registers with, data-subject
requests, retention and records of processing."""
