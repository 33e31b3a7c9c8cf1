# Two commands do all the set-up on a fresh Debian machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-stamp
EXAMPLE := resources/examples/digits_svm_grid_search.json

.PHONY: run edit test lint bench screenshot bundle clean

$(STAMP): pyproject.toml
	bash scripts/system-deps.sh $(SYSDEPS)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Opens the editor when a display exists; otherwise runs the example pipeline headless.
run: $(STAMP)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then $(VENV)/bin/nodeloom edit $(EXAMPLE); \
	else echo "no display: running $(EXAMPLE) headless"; $(VENV)/bin/nodeloom run $(EXAMPLE); fi

# Xvfb too where it can be installed: one test checks the key bindings in a real X11 window
test: $(STAMP)
	bash scripts/system-deps.sh --gui || echo "make test: no Xvfb, the X11 shortcut test is skipped"
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/python -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy && $(VENV)/bin/lint-imports

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do QT_QPA_PLATFORM=offscreen $(VENV)/bin/python $$b || exit 1; done

screenshot:
	$(MAKE) SYSDEPS=--gui $(STAMP)
	bash scripts/system-deps.sh --gui
	xvfb-run -a -s "-screen 0 1600x1000x24" $(VENV)/bin/python scripts/screenshot.py docs
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/nodeloom render $(EXAMPLE) -o docs/canvas.png

# A one-folder desktop bundle in dist/nodeloom/ (PyInstaller; no display needed to build it).
bundle: $(STAMP)
	$(VENV)/bin/python -m pip install -q "pyinstaller>=6"
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pyinstaller --noconfirm --log-level WARN \
		--distpath dist --workpath build/pyinstaller packaging/nodeloom.spec

clean:
	rm -rf $(VENV)
