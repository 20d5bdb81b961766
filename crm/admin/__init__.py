"""The CRM's admin, one module per concept; every CRM admin scopes its rows with `base.VisibleToAdmin`.

Importing the modules registers their ModelAdmins (Django's autodiscover imports `crm.admin`).
"""

from . import activities, assignment, email, import_settings, leads, pipeline, requests

__all__ = ["activities", "assignment", "email", "import_settings", "leads", "pipeline", "requests"]
