from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MiniAnalysisConfig(AppConfig):
    """The request side: the public form, the stored requests and their generated analysis.

    It knows nothing of the CRM; `crm` listens to its saves (see `crm.apps`).
    """

    name = "mini_analysis"
    verbose_name = _("Mini-analyses")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the settings checks
