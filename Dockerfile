# One image for web and workers; docker-compose.yml picks the command per service.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    FER_VAR_DIR=/srv/var MEDIA_ROOT=/srv/media
# libgl1/libglib2.0-0: opencv-python's runtime needs; curl: health checks.
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 curl \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY webapp webapp
COPY worker worker
COPY ml ml
RUN pip install .
COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v0

EXPOSE 8000
CMD ["gunicorn", "webapp.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--timeout", "120"]
