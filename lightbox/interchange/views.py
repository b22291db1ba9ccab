"""Interchange pages: importing a MIRCdocument zip, exporting a case as one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from lightbox.audit.log import record as audit
from lightbox.audit.models import Action
from lightbox.cases.access import can_create_case, can_view_case
from lightbox.cases.models import Case
from lightbox.interchange.forms import MircImportForm
from lightbox.interchange.mirc import export
from lightbox.interchange.mirc.package import PackageError, open_package
from lightbox.interchange.mirc.save import (
    Imported,
    ImportFailed,
    package_limits,
    read_documents,
    save_document,
    series_for,
)
from lightbox.lib.http import AuthenticatedHttpRequest

# Report lines shown after an import, per case; the rest are summed up in one line.
SHOWN_LINES = 12


@login_required
@require_http_methods(["GET", "POST"])
def import_mirc(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Upload a MIRCdocument zip (or a document's files) to make draft cases of it."""
    if not can_create_case(request.user):
        raise Http404("No such page.")
    form = MircImportForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        files = request.FILES.getlist("files")
        if not files:
            messages.error(request, "Choose a MIRCdocument zip, or the files of one document.")
        else:
            try:
                imported = _import(request, files, form)
            except ImportFailed as e:
                messages.error(request, f"Nothing imported: {e}")
                status = 400
            else:
                if imported:
                    return redirect("lightbox-case-edit", imported[0].case.number)
                status = 400
    return render(request, "interchange/import_mirc.html", {"form": form}, status=status)


def _import(
    request: AuthenticatedHttpRequest, files: list[UploadedFile], form: MircImportForm
) -> list[Imported]:
    package = open_package(files, package_limits())
    documents = read_documents(package)
    series = form.cleaned_data["series"] or series_for()
    imported: list[Imported] = []
    for path, doc in documents:
        try:
            done = save_document(package, path, doc, series=series, user=request.user)
        except (ImportFailed, PackageError) as e:
            messages.error(request, f"{path}: not imported: {e}")
            continue
        imported.append(done)
        dicom = ""
        if done.upload is not None:
            count = done.upload.files.count()
            dicom = f", its DICOM queued for de-identification ({count} file(s))"
        messages.success(request, f"{path} is draft case {done.case.number}{dicom}.")
        for line in done.report[:SHOWN_LINES]:
            messages.warning(request, f"{done.case.number}: {line}")
        if len(done.report) > SHOWN_LINES:
            more = len(done.report) - SHOWN_LINES
            messages.warning(request, f"{done.case.number}: and {more} more note(s)")
    return imported


@require_safe
def export_mirc(request: HttpRequest, number: str) -> StreamingHttpResponse:
    """The case as a MIRCdocument zip, for MIRC or another Lightbox."""
    case = get_object_or_404(Case.objects.select_related("series", "topic"), number=number.lower())
    if not can_view_case(request.user, case):
        raise Http404("No such case.")
    audit(Action.EXPORT, request=request, target=case, summary=f"exported {case.number} (MIRC)")
    response = StreamingHttpResponse(export.stream_zip(case), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{case.number}-mirc.zip"'
    response["Cache-Control"] = "private, no-store"
    return response
