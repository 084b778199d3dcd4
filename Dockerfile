# hostup-mcp as a remote MCP server: Streamable HTTP at :8000/mcp, health at /healthz.
# Default mode is per-user keys (each request sends its user's own HostUp key); see docs/remote.md.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY LICENSES ./LICENSES
COPY hostup_mcp ./hostup_mcp
# The redis extra: OAuth mode's store for replicas. /data: its SQLite file for one container (mount a volume).
RUN pip install ".[redis]" && useradd --system --uid 10001 --no-create-home hostup \
    && mkdir /data && chown 10001 /data
ENV HOSTUP_MCP_OAUTH_STORE=/data/hostup-mcp-oauth.sqlite3

USER 10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
ENTRYPOINT ["hostup-mcp"]
CMD ["--transport", "http", "--host", "0.0.0.0", "--port", "8000"]
