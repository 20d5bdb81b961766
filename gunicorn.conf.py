"""gunicorn settings for production (`make serve` uses them locally too). Every value from the environment."""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104 - behind the host's proxy
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads (gunicorn's gthread worker): a worker keeps serving while one thread waits on the database
# or a slow client. No request waits on the generator (it runs in the job worker, `run_worker`), so
# GUNICORN_THREADS=1 with more WEB_CONCURRENCY is faster for CPU-bound pages (the GIL) when memory
# allows; measured in docs/load.md.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request that runs longer is killed and its worker restarted. No page waits for the generator
# (the job worker calls it), so this bounds slow pages and slow clients only.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never take the service down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's control socket (for `gunicornc`) is unused here; off, so that two servers on one
# host (`make serve` and `bench/load.py`) never share $HOME/.gunicorn/gunicorn.ctl, and a
# read-only home directory is no problem.
control_socket_disable = True
