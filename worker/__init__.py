"""What a worker process is beyond Django: the Celery app (`celery_app.py`) and the face
pipelines it keeps loaded between tasks (`pipelines.py`). The tasks live in their Django app
(`webapp/<app>/tasks.py`); nothing here imports the webapp."""
