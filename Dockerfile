# transferwatch service image. Redis comes from REDIS_URL (see compose.yaml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    LOG_FORMAT=json \
    TRANSFERWATCH_FEEDS=/app/feeds.yaml \
    TRANSFERWATCH_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY worker ./worker
COPY alerts ./alerts
RUN pip install . && useradd --system --create-home --uid 10001 transferwatch \
    && mkdir -p /data && chown transferwatch /data
COPY feeds.yaml ./feeds.yaml

USER transferwatch
VOLUME ["/data"]
EXPOSE 8650
ENTRYPOINT ["transferwatch"]
CMD ["run"]
