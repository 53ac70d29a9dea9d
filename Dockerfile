# The image for the web tier, the Celery worker and beat (see docker-compose.yml).
# The base is pinned by digest (the OCI index of python:3.11-slim-bookworm, Python 3.11.16), so a
# rebuild starts from the same bytes; move it deliberately, with the digest that
# `docker buildx imagetools inspect python:3.11-slim-bookworm` prints.
FROM python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

RUN groupadd --system handoff && useradd --system --gid handoff --home-dir /app handoff

# The locked dependencies first, each checked against its hashes, so a code change does not
# reinstall them and every build installs the same files (`make lock` writes the lock).
COPY requirements/lock.txt requirements/lock.txt
RUN pip install --require-hashes -r requirements/lock.txt

# The code runs from /app, where its templates and static files live beside it.
COPY . .

# Static files are built into the image; the secret here only lets settings load.
RUN SECRET_KEY=build-only-not-a-secret-0000000000000000000000000000000000000 DEBUG=false \
    python manage.py collectstatic --noinput \
    && mkdir -p var \
    && chown -R handoff:handoff var

USER handoff

EXPOSE 8000

CMD ["gunicorn", "config.wsgi", "--bind=0.0.0.0:8000", "--worker-tmp-dir=/dev/shm"]
