"""JSON API of the CRM: `GET /api/crm/leads` (staff only)."""

urlpatterns: list = []
