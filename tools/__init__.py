"""Maintenance commands that are not part of the app or the pipeline (``python -m tools.audit``)."""
