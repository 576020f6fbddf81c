from django import forms
from django.utils.translation import gettext_lazy as _

ACCEPTED = (".xlsx", ".zip")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Workbook"),
        help_text=_("An .xlsx file with one sheet per table, or a .zip of CSV files."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ACCEPTED)}),
    )
    dry_run = forms.BooleanField(
        label=_("Validate only"),
        required=False,
        help_text=_("Check the workbook and show what would change, without writing anything."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ACCEPTED):
            raise forms.ValidationError(_("Choose an .xlsx file or a .zip of CSV files."))
        return upload
