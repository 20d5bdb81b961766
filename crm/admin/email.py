"""Email from a prospect's or a contact's page (`admin:crm_lead_email`, `admin:crm_contact_email`),
and the lists behind it: the templates a sales person starts from, the people who may not be emailed.

The page works without a script (strict CSP): "Use this template" posts the form back with the
template's text filled in for the person; "Send" queues the email (`services.email.compose_email`).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mini_analysis.keys import normalize_key
from mini_analysis.lengths import NOTES_MAX_LENGTH

from ..models import EmailOptOut, EmailTemplate
from ..services import PipelineError
from ..services import email as email_services
from .base import PlainTitles, TypedTextForm


class ComposeForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=EmailTemplate.objects.none(), required=False
    )
    # dir="auto": a Hebrew email reads right to left, a French one left to right, on any page.
    subject = forms.CharField(
        label=_("Subject"), max_length=200, widget=forms.TextInput(attrs={"dir": "auto", "size": 80})
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=NOTES_MAX_LENGTH,  # it is the email activity's text
        widget=forms.Textarea(attrs={"rows": 14, "cols": 80, "dir": "auto"}),
    )

    def __init__(self, *args, templates, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = EmailTemplate.objects.filter(pk__in=[t.pk for t in templates])
        self.fields["template"].choices = [("", "---------")] + [(t.pk, str(t)) for t in templates]
        if self.is_bound:  # a textarea posts CRLF line breaks: keep the text as it was typed
            self.data = self.data.copy()
            self.data["body"] = self.data.get("body", "").replace("\r\n", "\n")


def compose_view(model_admin: admin.ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    """The compose page of one visible record (a hidden one is a 404, as its change page)."""
    record = model_admin.get_object(request, object_id)
    if record is None:
        raise Http404
    if not model_admin.has_change_permission(request, record):
        raise PermissionDenied
    opts = model_admin.opts
    change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
    refusal = email_services.why_not_emailable(record)
    templates = email_services.templates_for(record)
    form = ComposeForm(request.POST or None, templates=templates)
    if request.method == "POST" and not refusal:
        if "use_template" in request.POST:
            form = _with_template(request, record, templates)
        elif form.is_valid():
            data = form.cleaned_data
            try:
                email_services.compose_email(
                    record, user=request.user, subject=data["subject"], body=data["body"]
                )
            except PipelineError as error:
                model_admin.message_user(request, str(error), messages.ERROR)
            else:
                model_admin.message_user(
                    request, gettext("The email is queued: it will be sent in a moment.")
                )
                return HttpResponseRedirect(change_url)
    elif request.method == "GET" and templates and not refusal:
        form = _with_template(request, record, templates)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Write an email"),
        "opts": opts,
        "original": record,
        "form": form,
        "refusal": refusal,
        "change_url": change_url,
        "placeholders": email_services.PLACEHOLDERS,
    }
    return TemplateResponse(request, "admin/crm/email_compose.html", context)


def _with_template(request: HttpRequest, record, templates) -> ComposeForm:
    """An unbound form holding the chosen template (else the first) filled in for the person."""
    chosen = request.POST.get("template") or ""
    template = next((t for t in templates if str(t.pk) == chosen), templates[0] if templates else None)
    if template is None:
        return ComposeForm(templates=templates)
    subject, body = email_services.render_template(template, record, request.user)
    return ComposeForm(
        initial={"template": template.pk, "subject": subject, "body": body}, templates=templates
    )


class EmailTemplateForm(TypedTextForm):
    class Meta:
        model = EmailTemplate
        fields = ["name", "language", "subject", "body", "is_active"]
        help_texts = {
            "body": _(
                "Placeholders: {name}, {brand}, {seller_name}, {signature}, {analysis_url}, {booking_url}."
            )
        }


@admin.register(EmailTemplate)
class EmailTemplateAdmin(PlainTitles, admin.ModelAdmin):
    add_title = _("New email template")
    form = EmailTemplateForm
    list_display = ["name", "language", "subject", "is_active"]
    list_filter = ["language", "is_active"]
    search_fields = ["name", "subject"]


class EmailOptOutForm(forms.ModelForm):
    class Meta:
        model = EmailOptOut
        fields = ["email_key", "withdrawn_at"]

    def clean_email_key(self) -> str:
        return normalize_key(self.cleaned_data["email_key"])


@admin.register(EmailOptOut)
class EmailOptOutAdmin(PlainTitles, admin.ModelAdmin):
    add_title = _("New email consent withdrawal")
    form = EmailOptOutForm
    list_display = ["email_key", "withdrawn_at"]
    search_fields = ["email_key"]
