# transferwatch service image. Redis comes from REDIS_URL (see compose.yaml); without it, `run` starts an
# embedded redis-server with its data under /data.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LOG_FORMAT=json \
    TRANSFERWATCH_FEEDS=/app/feeds.yaml \
    TRANSFERWATCH_DATA_DIR=/data

WORKDIR /app
RUN useradd --system --create-home --uid 10001 transferwatch \
    && mkdir -p /data && chown transferwatch /data

# Dependencies (spaCy and the rest) in a layer of their own, built from pyproject.toml alone: an edit to
# the code or the README reuses it. The build backend comes too, so the project installs offline below.
COPY pyproject.toml ./
RUN python -c 'import pathlib, tomllib; p = tomllib.loads(pathlib.Path("pyproject.toml").read_text()); \
print("\n".join(p["build-system"]["requires"] + p["project"]["dependencies"]))' > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project's own code: a small layer, rebuilt on every edit, with no dependency to fetch.
COPY README.md ./
COPY worker ./worker
COPY alerts ./alerts
RUN pip install --no-deps --no-build-isolation .
COPY feeds.yaml ./feeds.yaml

USER transferwatch
VOLUME ["/data"]
EXPOSE 8650
# Healthy when Redis answers and a poller, a worker and a dispatcher of this deployment have heartbeats
# (`transferwatch health`; it reads the same REDIS_URL / TRANSFERWATCH_DATA_DIR as the service).
HEALTHCHECK --interval=30s --timeout=15s --start-period=90s --retries=3 CMD ["transferwatch", "health"]
ENTRYPOINT ["transferwatch"]
CMD ["run"]
