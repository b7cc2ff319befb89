# Fund Ledger: `make run` serves the demo, `make test` runs the whole suite (SQLite and PostgreSQL).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed

.PHONY: run test deps test-deps venv bench bench-all clean translations extract

run: deps venv translations
	$(BIN)/fund-ledger init
	$(BIN)/fund-ledger demo --if-empty
	@echo
	@echo "  Fund Ledger (demo) on http://127.0.0.1:$(PORT)"
	@echo "  Demo data: 爱力量 and the 100,000 yuan gift, more gifts, a grant to 筑仁成长, a reversal."
	@echo "  Demo log-ins (password for all: aililiang-2026):"
	@echo "    admin     系统管理员 (users)       manager / manager2  基金管理员 (fund managers)"
	@echo "    zhuren    筑仁成长 (grantee)       auditor             审计人员 (auditor)"
	@echo
	FUND_LEDGER_DEMO=1 $(BIN)/flask --app fund_ledger run --host 127.0.0.1 --port $(PORT)

# In parallel (pytest-xdist): PYTEST_WORKERS processes, each with its own databases and Chromium. Creating and
# dropping PostgreSQL databases waits on the disk, not on a core, so more workers than cores pays: on 2 cores
# -n 4 took 8.7 min where -n 3 took 10 (issue 10). PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 4
test: test-deps venv translations
	scripts/ensure-postgres.sh
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS)

# System packages: what WeasyPrint needs to draw text, and a CJK font so Chinese renders (and embeds).
deps:
	scripts/system-deps.sh run

# The same, plus the outside witnesses the tests run (hledger; bean-check comes from PyPI) and poppler.
test-deps:
	scripts/system-deps.sh test

venv: $(STAMP)

# The gettext catalogues: each translations/<locale>/LC_MESSAGES/messages.po compiled to its .mo (ignored by git;
# the app also compiles a missing or stale one as it starts, so a plain pytest on a fresh clone works).
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

translations: $(CATALOGUES)

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel compile --statistics -D messages -l $* -i $< -o $@

# After adding or changing words: extract every msgid (babel.cfg) and merge them into the catalogues;
# then write the Chinese for each new entry in translations/zh_CN/LC_MESSAGES/messages.po.
extract: venv
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg --sort-by-file --width 120 -o build/messages.pot .
	$(BIN)/pybabel update -D messages -d translations -i build/messages.pot --width 120 --no-fuzzy-matching

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

# Every aim of PERFORMANCE.md, each next to its reference measured in the same run, `fund-ledger verify` after
# each measure that writes; the table goes into docs/benchmarks.md (JSON in bench/out/aims.json). 20-30 min on
# 2 cores at full size (estimated from its parts; not yet run whole); `make bench BENCH_SIZE=small` is a smoke
# run of a few minutes. Needs PostgreSQL on 127.0.0.1:5432 (user postgres) and pgbench. `make bench-all`: the older diagnostics too (~40 min, bench/README.md).
BENCH_SIZE ?= full
bench: venv
	$(BIN)/python bench/aims.py --size $(BENCH_SIZE)
	$(BIN)/python bench/aims_table.py

bench-all: venv
	bench/run_all.sh

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
