# nursery_ops: several uvicorn workers; PostgreSQL via DATABASE_URL, or SQLite in the /app/var volume.
#
#   docker build -t nursery_ops .
#   docker run -p 8000:8000 -v nursery-data:/app/var nursery_ops
#   docker run -p 8000:8000 -e DATABASE_URL=postgresql+psycopg://user:pass@db/nursery -e WORKERS=4 nursery_ops
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WORKERS=2

RUN groupadd --system --gid 10001 nursery \
 && useradd --system --uid 10001 --gid nursery --home-dir /app --no-create-home --shell /usr/sbin/nologin nursery

WORKDIR /app

# pg_dump / pg_restore for `python -m nursery_ops backup` and `restore` on PostgreSQL (Debian's client,
# which must not be older than the server).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first, in their own layer: a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY README.md babel.cfg ./
COPY nursery_ops ./nursery_ops
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static

# Installed in place (editable): the app finds templates/, static/ and migrations/
# beside the package, as in a checkout. The catalogs are compiled at build time.
# PYTHONDONTWRITEBYTECODE keeps the running app from writing bytecode, so it is compiled here: otherwise
# every worker compiles all of nursery_ops from source at every start (~0.35 s of CPU each, issue 10).
RUN pip install --no-deps -e . \
 && pybabel compile -d nursery_ops/i18n/locales -D messages \
 && python -m compileall -q nursery_ops migrations \
 && mkdir -p /app/var \
 && chown nursery:nursery /app/var

# The SQLite database, the stored secret key and uploaded photos live here.
VOLUME ["/app/var"]
USER nursery
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# Migrate, then hand the process over to uvicorn (exec: it receives docker's signals).
CMD ["sh", "-c", "python -m nursery_ops migrate && exec python -m nursery_ops serve --host 0.0.0.0 --port 8000 --workers ${WORKERS:-2}"]
