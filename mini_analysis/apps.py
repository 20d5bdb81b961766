from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MiniAnalysisConfig(AppConfig):
    """The request side: the public form, the stored requests and their generated analysis.

    It knows nothing of the CRM; `crm` listens to its saves (see `crm.apps`).
    """

    name = "mini_analysis"
    verbose_name = _("Mini-analyses")

    def ready(self) -> None:
        from django.db.models.signals import pre_save

        from . import checks  # noqa: F401 - registers the settings checks
        from .keys import keys_before_save

        # Every keyed model's (`keys.KeyedModel`): requests, and the CRM's leads, companies, contacts.
        pre_save.connect(keys_before_save, dispatch_uid="mini_analysis.identity_keys")
