# Two commands do everything on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
# The suite runs on every core, up to 4 workers (pytest-xdist; each worker has its own test
# database), in the order collected (transactional tests after the others, as pytest-django sorts
# them: a worker never runs a test that needs the migrations' rows after a flush), two at a time
# (`--maxschedchunk=2`), and the tests marked `slow` collected first in their group (conftest.py):
# the long tests are shared out instead of queued on one worker, and the run ends on no long test.
# `make test PYTEST_ARGS=` runs it in one process, `PYTEST_ARGS="-k name"` a part.
PYTEST_ARGS ?= --numprocesses=auto --maxprocesses=4 --dist=load --maxschedchunk=2
# `make run PORT=8001` when 8000 is taken (make run says so).
PORT ?= 8000
CHROMIUM := /usr/bin/chromium
# axe-core, the accessibility checker the browser tests inject (package.json, pinned by its lock).
AXE := node_modules/axe-core/axe.min.js
DOVECOT := /usr/sbin/dovecot
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run serve test test-postgres lint format messages clean services chromium dovecot

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(PY) requirements.txt constraints.txt
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# honcho (a development tool, in requirements-dev.txt) starts the web process and the worker for
# `make run` and `make serve`: installed alone, at its pin, without the test tools.
$(VENV)/.installed-run: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -c constraints.txt "$$(grep -E '^honcho==' requirements-dev.txt)"
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# A local .env with a fresh SECRET_KEY and DEBUG=true, made once from the documented example.
.env:
	cp .env.example $@
	echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" >> $@

run: $(VENV)/.installed-run .env
	@$(PY) scripts/check_port.py $(PORT)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py seed_demo
	@echo "igv-crm: starting the web server and one worker (the worker generates the analyses and"
	@echo "sends the emails; they are printed here). Open http://127.0.0.1:$(PORT)/admin/crm/prospects/"
	@echo "(login printed above) and the form at http://127.0.0.1:$(PORT)/fr/mini-analysis/. Ctrl+C stops both."
	PATH=$(CURDIR)/$(BIN):$$PATH PORT=$(PORT) $(BIN)/honcho start -f Procfile -p $(PORT)

serve: $(VENV)/.installed-run .env
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py collectstatic --noinput
	@echo "igv-crm: gunicorn on port $(PORT) and one worker (run_worker). Ctrl+C stops both."
	PATH=$(CURDIR)/$(BIN):$$PATH PORT=$(PORT) $(BIN)/honcho start -f Procfile.serve -p $(PORT)

test: $(VENV)/.installed-dev $(DOVECOT) services $(CHROMIUM) $(AXE)
	DATABASE_URL=sqlite:///$(CURDIR)/test-db.sqlite3 $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-dev $(DOVECOT) services $(CHROMIUM) $(AXE)
	DATABASE_URL=$(POSTGRES_URL) $(BIN)/pytest $(PYTEST_ARGS)

# The browser test drives Debian's Chromium (Playwright never downloads a browser). Installed only
# when missing, so this is instant once it is there; needs root, or sudo.
chromium: $(CHROMIUM)

$(CHROMIUM):
	$(SUDO) apt-get update
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium

# The browser tests' npm tools, exactly as package-lock.json pins them; again only when the lock changes.
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The mailbox tests read replies from Debian's Dovecot IMAP server, which `services` starts on
# loopback with its own configuration (scripts/start_services.sh). Installed only when missing.
dovecot: $(DOVECOT)

$(DOVECOT):
	$(SUDO) apt-get update
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y dovecot-imapd

# Starts PostgreSQL, Redis and Dovecot when they are installed and not running; says in one line what is
# missing (its tests are then skipped; with CI=true a missing server is an error).
services:
	./scripts/start_services.sh

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# DEBUG=true: the message tools need no production SECRET_KEY.
messages: $(VENV)/.installed-dev
	DEBUG=true $(PY) manage.py makemessages --locale fr --locale en --locale he --ignore .venv --ignore test-artifacts
	DEBUG=true $(PY) manage.py compilemessages --ignore .venv

clean:
	rm -rf $(VENV) staticfiles test-artifacts .pytest_cache node_modules
