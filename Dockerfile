# yibao-bot: the Telegram FAQ bot. Build: docker compose build; run: docker compose up -d
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# An unprivileged user owns only the data directory; code and FAQ are read-only to it.
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin bot

# The package first (cached until the code changes), then the data it reads at run time.
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . && rm -rf build ./*.egg-info
COPY locales ./locales
COPY faq ./faq
RUN mkdir -p /app/data && chown bot:bot /app/data

# Where the bot finds its files inside the image (see bot/settings.py).
ENV BOT_FAQ_DIR=/app/faq \
    BOT_LOCALES_DIR=/app/locales \
    BOT_DB_PATH=/app/data/queries.db

USER bot
VOLUME ["/app/data"]

# The bot touches data/heartbeat every 30 s while it receives updates (bot/tg/app.py).
HEALTHCHECK --interval=60s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, time; sys.exit(time.time() - os.path.getmtime('/app/data/heartbeat') > 120)"]

# SIGTERM: stop taking updates, finish answers in flight, flush the query log, exit 0.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "run"]
