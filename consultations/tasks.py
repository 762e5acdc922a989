"""Celery tasks of the consultations app (names are referenced by the beat schedule).

Task bodies stay thin: they call services in consultations.services.*.
"""
