# nursery_ops — everyday commands. Needs only python3 (3.11) to start.
#
#   make run                 venv, install, catalogs, migrate + demo data, serve on :8000
#   make test                the whole test suite (PYTEST_ARGS="-x -k name" to narrow)
#   make migrate             bring the database (DATABASE_URL, default ./var/) to the newest schema
#   make demo                migrate, then load the demo nursery if it is not there yet
#   make migration m="..."   autogenerate the next migration from the models
#   make messages            extract UI strings, update the translation catalogs
#   make bench               benchmark on a generated nursery (3 years; BENCH_DATABASE_URL adds PostgreSQL)
#   make bench-quick         the same with 1 month and short phases, under 2 minutes
#   make clean               remove the venv, compiled catalogs and caches (keeps ./var/)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# A PostgreSQL database the benchmark may empty and fill (postgresql+psycopg://...); SQLite is always measured.
BENCH_DATABASE_URL ?=
BENCH_ARGS = $(if $(BENCH_DATABASE_URL),--database-url '$(BENCH_DATABASE_URL)')

LOCALES := nursery_ops/i18n/locales
POT := nursery_ops/i18n/messages.pot
PO_FILES := $(wildcard $(LOCALES)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

# A scratch database for autogenerate: always migrated from nothing, so the
# comparison is against the migrations alone, never a database someone edited.
SCRATCH_DB := var/migration-scratch.db
SCRATCH_URL := sqlite:///$(CURDIR)/$(SCRATCH_DB)
NEXT_REV = $(shell printf '%04d' $$(( $$(ls migrations/versions/[0-9][0-9][0-9][0-9]_*.py 2>/dev/null | wc -l) + 1 )))

.PHONY: run serve test migrate demo migration initial-migration messages catalogs install clean bench bench-quick

run: $(STAMP) catalogs
	$(BIN)/python -m nursery_ops demo
	$(BIN)/python -m nursery_ops serve --host $(HOST) --port $(PORT)

serve: $(STAMP) catalogs
	$(BIN)/python -m nursery_ops serve --host $(HOST) --port $(PORT)

test: $(STAMP) catalogs
	$(BIN)/pytest $(PYTEST_ARGS)

migrate: $(STAMP)
	$(BIN)/python -m nursery_ops migrate

# Results in bench/results/ (latest.* for bench, quick.* for bench-quick); databases and logs in bench/work/.
bench: $(STAMP) catalogs
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-quick: $(STAMP) catalogs
	$(BIN)/python -m bench.run --quick $(BENCH_ARGS)

demo: $(STAMP)
	$(BIN)/python -m nursery_ops demo

install: $(STAMP)

# Re-install only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

catalogs: $(MO_FILES)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

migration: $(STAMP)
	@test -n "$(m)" || { echo 'usage: make migration m="what changed"'; exit 2; }
	mkdir -p var && rm -f $(SCRATCH_DB)
	DATABASE_URL=$(SCRATCH_URL) $(BIN)/alembic upgrade head
	DATABASE_URL=$(SCRATCH_URL) $(BIN)/alembic revision --autogenerate --rev-id $(NEXT_REV) -m "$(m)"
	rm -f $(SCRATCH_DB)
	@echo "Read the new file in migrations/versions/ before committing it; then run make test."

# Before the first release only: rebuild 0001 from the models (drops every later revision's effect).
initial-migration: $(STAMP)
	@test "$$(ls migrations/versions/[0-9][0-9][0-9][0-9]_*.py 2>/dev/null | grep -vc '/0001_')" = 0 \
		|| { echo 'later migrations exist: write a new one with make migration m="..."'; exit 2; }
	mkdir -p var && rm -f $(SCRATCH_DB) migrations/versions/0001_*.py
	DATABASE_URL=$(SCRATCH_URL) $(BIN)/alembic revision --autogenerate --rev-id 0001 -m "initial"
	rm -f $(SCRATCH_DB)

messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ -o $(POT) --no-location --sort-output \
		--project nursery_ops --copyright-holder nursery_ops .
	$(BIN)/pybabel update -i $(POT) -d $(LOCALES) -D messages --ignore-obsolete

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .hypothesis test-results
	rm -f $(MO_FILES)
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
