# The two commands of the README: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test unit services-start services-stop clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	@touch $(STAMP)

## demo: the whole pipeline on the embedded broker and Redis, with a simulated shop
demo: $(STAMP)
	$(VENV)/bin/tracker demo

## test: unit and integration tests on real Kafka 3.9 and Redis (started and stopped here)
test: $(STAMP)
	scripts/test.sh

## unit: only the tests that need no services
unit: $(STAMP)
	$(VENV)/bin/python -m pytest -m "not integration" tests models offers streams

services-start:
	scripts/services.sh start

services-stop:
	scripts/services.sh stop

clean:
	scripts/services.sh stop || true
	rm -rf $(VENV) .services *.egg-info
