"""The upload page: the same import as `salesdesk import`, for finance and admin."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesdesk.core.access import Action, require
from salesdesk.imports.forms import UploadForm
from salesdesk.imports.models import ImportRun
from salesdesk.imports.readers import ReaderError, open_workbook
from salesdesk.imports.runner import import_workbook

# A page of 100,000 error lines helps nobody; the first ones show what is wrong.
SHOWN_PROBLEMS = 500


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    require(
        request.user,
        Action.WORKBOOK_IMPORT,
        _("Only finance and administrators may import workbooks."),
    )
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            workbook = open_workbook(upload, filename=upload.name)
        except ReaderError as exc:
            form.add_error("file", str(exc))
        else:
            try:
                result = import_workbook(
                    workbook,
                    today=timezone.localdate(),
                    actor=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                    source=upload.name,
                )
            finally:
                workbook.close()
    context = {
        "form": form,
        "result": result,
        "problems": result.problems[:SHOWN_PROBLEMS] if result else [],
        "more_problems": max(0, len(result.problems) - SHOWN_PROBLEMS) if result else 0,
        "runs": ImportRun.objects.select_related("actor")[:20],
    }
    return render(request, "imports/upload.html", context)
