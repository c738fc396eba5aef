# intake: build, run, test and benchmark. `make run` and `make test` work on a fresh Debian
# machine: both first install whatever Debian packages are missing (`make deps`).

SWIFT      ?= swift
HOME_DIR   ?= $(CURDIR)/var
VENV       := $(CURDIR)/.build/venv

# Build: the C libraries. Tests: nginx, inotify-tools, ImageMagick, util-linux, systemd (for
# systemd-analyze verify of etc/intake.service; installing it starts nothing). Benchmarks:
# exiftool, aria2, hyperfine, Python venv.
DEB_PACKAGES := pkg-config libsqlite3-dev libexif-dev libmagic-dev libvips-dev \
	libcurl4-openssl-dev libssl-dev libvips-tools nginx-light inotify-tools imagemagick curl \
	libimage-exiftool-perl aria2 hyperfine python3-venv python3-pip sqlite3 jq systemd

.PHONY: all deps venv build release run test lint format bench clean asan

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing Debian packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; \
		elif command -v sudo >/dev/null; then SUDO=sudo; \
		else echo "make deps: need root or sudo to install:$$missing" >&2; exit 1; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# The Python venv of the benchmark peers, of the metrics-format test and of the sample
# analyzers (OpenCV for the face detector); rebuilt when a requirements file changes.
VENV_REQUIREMENTS := bench/requirements.txt Samples/analyzers/requirements.txt

venv: $(VENV)/.installed

$(VENV)/.installed: $(VENV_REQUIREMENTS) | deps
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q $(addprefix -r ,$(VENV_REQUIREMENTS))
	touch $@

build: deps
	$(SWIFT) build

# The Swift runtime and Foundation linked statically: the binary starts in about half the time
# (measured: 44 -> 24 ms of CPU for `intake --version`), which every short command pays.
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

run: release
	$(SWIFT) run -c release --skip-build intake run --home $(HOME_DIR)

lint:
	$(SWIFT) format lint --strict --recursive Package.swift Sources Tests bench

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests bench

# The unit tests and the end-to-end tests run as two processes. The end-to-end tests wait for
# daemons and commands with blocking calls that hold Swift concurrency's threads (one per
# core) for up to minutes; in one process they most likely starved the unit tests' timers: a
# timing check there failed (PauseGateTests, once in four clean runs).
test: deps lint venv
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip '^EndToEndTests\.'
	$(SWIFT) test --skip-build --filter '^EndToEndTests\.'
	$(MAKE) asan

# The EXIF parsing of the whole corpus under AddressSanitizer, in its own scratch path so that
# the instrumented build does not replace the normal one; the last step of `test` (about two
# minutes here, most of it the instrumented build). XCTest is skipped because its empty run
# leaks a few bytes of its own at exit.
asan: deps
	$(SWIFT) test --sanitize=address --scratch-path .build/asan --disable-xctest \
		--filter MetadataCorpusTests

bench: release venv
	bench/run

clean:
	rm -rf .build var
