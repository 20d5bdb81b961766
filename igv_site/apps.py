from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """Django's admin, on the IGV CRM site (`igv_site.admin.AdminSite`)."""

    default_site = "igv_site.admin.AdminSite"

    def ready(self) -> None:
        super().ready()
        from . import lookups

        lookups.register()
