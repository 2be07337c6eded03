# Two commands for a newcomer: `make run` (the app with demo data) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
# Where `make run` keeps its SQLite file and uploads (the app's own default, see app/config.py).
INSTANCE_DIR ?= instance
# The PostgreSQL pass of the suite; CI=true makes an unreachable server a failure.
TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
REPORTS := build/test-reports
PYTEST_ARGS ?=
# Translation catalogs: the .po files are in git, their compiled .mo files are built here.
TRANSLATIONS := app/translations
PO_FILES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test test-sqlite test-postgres lint format install install-test migrate clean \
	translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# A catalog is compiled again whenever its .po file is newer than its .mo file.
$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -l $* -i $< -o $@

install: $(VENV)/.installed $(MO_FILES)

install-test: $(VENV)/.installed-test $(MO_FILES)

# For developers: collect every marked string into messages.pot, then add the new ones to
# each language's messages.po (untranslated, for a translator to fill in; no fuzzy guesses).
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l --add-comments=Translators: \
		--project=Bridgework --version=0.1 --copyright-holder=Bridgework \
		--sort-by-file -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching
	$(MAKE) install

run: export INSTANCE_DIR := $(abspath $(INSTANCE_DIR))
run: export PORT := $(PORT)
run: install
	@mkdir -p "$(INSTANCE_DIR)"
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo ""
	@echo "Bridgework is starting on http://127.0.0.1:$(PORT) (Ctrl+C stops it)."
	@echo "Sign in as admin / bridgework-demo; README.md lists every demo account."
	@echo ""
	$(BIN)/python wsgi.py

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Lint, then the whole suite on SQLite and on PostgreSQL, side by side (each pass's output is
# printed when it ends; its JUnit report is in build/test-reports/). With both passes run,
# a test marked `one_pass` runs in the pass it names only (TEST_PASS, see tests/conftest.py);
# `make test-sqlite` or `make test-postgres` alone runs every test.
test: lint
	$(MAKE) --no-print-directory --output-sync=target -j2 test-sqlite test-postgres BOTH_PASSES=1

test-sqlite: install-test
	@mkdir -p $(REPORTS)
	@echo "== Test suite on SQLite =="
	env -u TEST_DATABASE_URL $(if $(BOTH_PASSES),TEST_PASS=sqlite) \
		$(BIN)/pytest --junitxml=$(REPORTS)/sqlite.xml $(PYTEST_ARGS)

test-postgres: install-test
	@mkdir -p $(REPORTS)
	@echo "== Test suite on PostgreSQL ($(TEST_POSTGRES_URL)) =="
	$(if $(BOTH_PASSES),TEST_PASS=postgres) \
		TEST_DATABASE_URL=$(TEST_POSTGRES_URL) TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) \
		$(BIN)/pytest --junitxml=$(REPORTS)/postgres.xml $(PYTEST_ARGS)

migrate: install
	$(FLASK) db migrate -m "$(m)"

clean:
	rm -rf $(VENV) instance build .pytest_cache .ruff_cache
