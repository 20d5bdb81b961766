"""The JSON API: `POST /api/mini-analysis` (public, the form's flow) and `GET /api/crm/leads` (staff).

It lives in `crm` because answering a submission with its `lead_id` needs the CRM, and `crm` may
import `mini_analysis` but never the reverse.
"""

urlpatterns: list = []
