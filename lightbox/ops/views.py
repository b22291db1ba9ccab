"""The pages of operations: liveness, readiness and metrics, for a load balancer, a
supervisor and Prometheus."""

from __future__ import annotations

from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from lightbox.ops import metrics, readiness


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for on every site whatever a page names (a
    404 in every log, and no icon on pages without a link to one): Lightbox's icon."""
    response = HttpResponseRedirect(staticfiles_storage.url("lightbox/favicon.svg"))
    patch_cache_control(response, public=True, max_age=86400)
    return response


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """``ok`` when this web process answers and its database does too (liveness only)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok\n", content_type="text/plain")


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when every check passes, else 503; each check's figures and errors only to a
    caller who may read metrics (they name paths), the verdicts to anyone."""
    results = readiness.check()
    ready = all(ok for ok, _ in results.values())
    detailed = metrics.allowed(request)
    checks = {
        name: {"ok": ok, **(detail if detailed else {})} for name, (ok, detail) in results.items()
    }
    response = JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Every metric in the OpenMetrics text format, to callers :func:`metrics.allowed`
    lets in."""
    if not metrics.allowed(request):
        return HttpResponse(
            "Metrics are served to this machine only, or with the bearer token set in "
            "LIGHTBOX_METRICS_TOKEN.\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE_LATEST)
