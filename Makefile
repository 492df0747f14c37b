# fireline: `make run` serves the API on the embedded default; `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test sysdeps sysdeps-runtime bench clean

# Debian packages the runtime needs: Chromaprint, which fingerprints audio (audio_fp;
# pyacoustid binds it). PyAV's wheels bundle FFmpeg.
RUNTIME_SYSDEPS := libchromaprint1
# ...and the dev extras: the vPDQ reference (`vpdq`, used by the interop tests) builds
# from source against FFmpeg's development libraries with CMake and a C++ compiler;
# Chromaprint's `fpcalc` checks that our audio fingerprints are the reference's; the web UI
# tests drive Debian's Chromium through Playwright.
DEV_SYSDEPS := cmake g++ pkg-config python3-dev libavcodec-dev libavdevice-dev libavfilter-dev \
	libavformat-dev libavutil-dev libswresample-dev libswscale-dev libchromaprint-tools chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Runtime install; re-runs when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# Installs the missing ones only (as root, or through sudo); a no-op once they are there.
define install_missing
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
		echo "$(1): not Debian; install these (or your system's equivalents) yourself:" \
			"$(2)" >&2; \
		exit 0; \
	fi; \
	missing=""; \
	for package in $(2); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" \
			|| missing="$$missing $$package"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" -eq 0 ]; then as_root=""; \
	elif command -v sudo >/dev/null 2>&1; then as_root="sudo"; \
	else echo "$(1): run as root to install:$$missing" >&2; exit 1; fi; \
	echo "$(1): installing$$missing"; \
	$$as_root apt-get update -qq \
		&& $$as_root env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $$missing
endef

# What `make run` needs.
sysdeps-runtime:
	$(call install_missing,sysdeps-runtime,$(RUNTIME_SYSDEPS))

# What `make test` needs: the runtime's packages and the dev extras'.
sysdeps:
	$(call install_missing,sysdeps,$(RUNTIME_SYSDEPS) $(DEV_SYSDEPS))

# Runtime plus the dev extras (linters, type checker, test runner, threatexchange, vpdq).
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python sysdeps
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

run: sysdeps-runtime $(VENV)/.installed
	$(BIN)/fireline db upgrade
	$(BIN)/fireline serve --seed-demo

test: sysdeps $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2

bench: $(VENV)/.installed
	$(BIN)/python bench/match_scan.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
