# PostgreSQL 15 with the RUM index extension, which makes ranked phrase searches and
# common words fast at scale (docs/search.md). Without it Lightbox falls back to GIN and
# `manage.py check` says so. The official image carries the PGDG apt repository.
FROM postgres:15-bookworm
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15-rum \
    && rm -rf /var/lib/apt/lists/*
