"""The floor run of the load benchmark (`bench/load.py --floor`): not the product, a measurement.

The project's WSGI application with the work that a redesign could move out of a page view left
out, so the figures show what remains whatever that redesign:
- the form's POST validates, counts the rate limit, stores the request and its lead (through the
  same signal) and redirects, but enqueues no generation job: the same rows as the product's POST,
  without the job's row (generation itself runs in a worker since issue 10);
- the prospects changelist shows one lead per page: the admin page's fixed cost (filters, date
  bar, actions, search box, chrome), which a shorter page cannot shave off.
"""

from igv_site.wsgi import application


def leave_out_what_a_redesign_could_move() -> None:
    # Imported here: the models load only once `application` has set Django up.
    import mini_analysis.services
    from crm.admin.leads import LeadAdmin

    mini_analysis.services.enqueue_generation = lambda mini_analysis_id, run_after=None: None
    LeadAdmin.list_per_page = 1


leave_out_what_a_redesign_could_move()

__all__ = ["application"]
