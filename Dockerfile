# The tracker worker: `docker compose up` builds this (see docker-compose.yml).
# Two stages: wheels are built with a compiler in the first, so the image that runs
# has no build tools in it.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY streams ./streams
COPY models ./models
COPY offers ./offers
RUN pip wheel --wheel-dir /wheels .

FROM python:3.11-slim
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 \
    TRACKER_WEB_HOST=0.0.0.0 TRACKER_WEB_PORT=6066
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels behaviour-tracker \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --no-create-home tracker
USER tracker
EXPOSE 6066
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:6066/health', timeout=4)"]
CMD ["tracker", "worker"]
