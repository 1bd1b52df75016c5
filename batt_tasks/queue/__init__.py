"""The distributed runner: the Celery app, the thin task wrappers, and the producer that feeds them."""
