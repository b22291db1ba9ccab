# syntax=docker/dockerfile:1
# Lightbox's image: the web server, the task worker and the management commands.
# Built by compose.yaml (see docs/deployment.md); nothing in it is specific to one site.

# The image viewer (Cornerstone3D, bundled by Vite) is built in a stage of its own, so the
# final image carries the bundle but neither Node.js nor node_modules.
FROM node:20-bookworm-slim AS viewer
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
RUN npm run build --silent

FROM python:3.13-slim-bookworm
# Pango and HarfBuzz for the PDFs (WeasyPrint), a font, and PostgreSQL 15's client tools
# for `manage.py backup` (pg_dump must be as new as the server: compose runs 15).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
       postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home-dir /srv/lightbox --create-home lightbox
WORKDIR /app
COPY pyproject.toml README.md manage.py ./
COPY lightbox/ lightbox/
COPY templates/ templates/
COPY static/ static/
COPY --from=viewer /src/frontend/dist/ frontend/dist/
RUN pip install --no-cache-dir --disable-pip-version-check . \
    && rm -rf build
ENV LIGHTBOX_DATA_DIR=/srv/lightbox \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# Static files are part of the image: collected once here, with a throw-away key (the
# real secrets come from the environment or the data volume at run time).
RUN LIGHTBOX_SECRET_KEY=build-only LIGHTBOX_DEID_SECRET=build-only \
    LIGHTBOX_DATA_DIR=/tmp/build python manage.py collectstatic --noinput --verbosity 0 \
    && mv /tmp/build/static /app/static-collected && rm -rf /tmp/build
ENV LIGHTBOX_STATIC_ROOT=/app/static-collected
USER lightbox
VOLUME ["/srv/lightbox"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
CMD ["python", "manage.py", "serve", "--host", "0.0.0.0", "--port", "8000"]
