# Berth: a small image that runs the registry as an unprivileged user with its state in /data.
FROM python:3.11-slim

RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin berth \
    && mkdir -p /data && chown berth:berth /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY conf ./conf
COPY registry ./registry
COPY storage ./storage
RUN pip install --no-cache-dir -e ".[fast,scale]"

USER berth
VOLUME ["/data"]
EXPOSE 5000
ENV BERTH_DATA_DIR=/data \
    BERTH_HTTP_HOST=0.0.0.0 \
    PYTHONUNBUFFERED=1

# `berth healthcheck` reads /api/v2.0/health where `berth serve` says it listens (a record in
# the data directory), so it follows the port whether a config file, BERTH_HTTP_PORT or --port set it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["berth", "healthcheck", "--timeout", "4"]

ENTRYPOINT ["berth"]
CMD ["serve"]
