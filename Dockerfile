# The image for the web tier, the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app

WORKDIR /app

RUN groupadd --system handoff && useradd --system --gid handoff --home-dir /app handoff

# The pinned dependencies first, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The code runs from /app, where its templates and static files live beside it.
COPY . .

# Static files are built into the image; the secret here only lets settings load.
RUN SECRET_KEY=build-only-not-a-secret-0000000000000000000000000000000000000 DEBUG=false \
    python manage.py collectstatic --noinput \
    && mkdir -p var \
    && chown -R handoff:handoff var

USER handoff

EXPOSE 8000

CMD ["gunicorn", "handoff.wsgi", "--bind=0.0.0.0:8000", "--access-logfile=-"]
