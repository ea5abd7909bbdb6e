"""Celery glue: the app and its tasks. Tasks load rows, call `ml`, and write results
back through the webapp's service functions."""
