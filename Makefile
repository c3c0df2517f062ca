# kiro-bridge: `make run` starts the service, `make test` passes every test.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CONFIG_DIR ?= config

.PHONY: all deps build build-run build-demo test test-deploy run bench demo fuzz clean models models-list

all: build

deps:
	@bash deploy/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# The compose stack for real (podman + docker-compose, demo profile): see
# deploy/README.md. Needs root; builds the image, so it takes minutes.
test-deploy:
	bash deploy/test-deploy.sh

# `run` and `demo` build only what they start (not every test and benchmark
# binary that `build` makes); the web UI target exists when node/npm do.
RUN_TARGETS = kiro-bridge kiroctl
DEMO_TARGETS = kiro-bridge kiroctl kiro-sim

build-run: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target $(RUN_TARGETS)
	@if command -v node >/dev/null && command -v npm >/dev/null; then \
	  cmake --build $(BUILD_DIR) -j $(JOBS) --target web-ui; \
	else echo "make: the web UI is not built (needs node and npm); the API works without it"; fi

build-demo: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS) --target $(DEMO_TARGETS)
	@if command -v node >/dev/null && command -v npm >/dev/null; then \
	  cmake --build $(BUILD_DIR) -j $(JOBS) --target web-ui; \
	else echo "make: the web UI is not built (needs node and npm); the API works without it"; fi

run: build-run
	$(BUILD_DIR)/bin/kiro-bridge --config-dir $(CONFIG_DIR)

# The seed's `npm run models` / `npm run models:list`, against a running bridge.
ADMIN_URL ?= http://127.0.0.1:3000
models: build
	$(BUILD_DIR)/bin/kiroctl --url $(ADMIN_URL) models show

models-list: build
	$(BUILD_DIR)/bin/kiroctl --url $(ADMIN_URL) models list

bench: build
	bash tests/bench/run.sh $(BUILD_DIR)

# Longer fuzzing runs than the 20 s ones inside `make test`: every target
# for FUZZ_SECONDS each, or FUZZ_RUNS inputs each when that is set; then the
# executions and crashes per target.
FUZZ_SECONDS ?= 300
FUZZ_RUNS ?=
FUZZ_TARGETS = eventstream claude_request http_request http_response
fuzz: deps
	@mkdir -p $(BUILD_DIR)/fuzz-cache; status=0; \
	for t in $(FUZZ_TARGETS); do \
	  FUZZ_RUNS=$(FUZZ_RUNS) bash tests/fuzz/run.sh $$t $(FUZZ_SECONDS) $(BUILD_DIR) \
	    >$(BUILD_DIR)/fuzz-cache/$$t.log 2>&1 || status=1; \
	  tail -n 3 $(BUILD_DIR)/fuzz-cache/$$t.log | grep -v '^stat::' || true; \
	done; \
	printf '%-16s %14s %8s %s\n' target execs exec/s result; \
	for t in $(FUZZ_TARGETS); do \
	  log=$(BUILD_DIR)/fuzz-cache/$$t.log; \
	  execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
	  rate=$$(sed -n 's/^stat::average_exec_per_sec: *//p' $$log); \
	  if grep -q 'ERROR: libFuzzer\|SUMMARY: .*Sanitizer' $$log; then result="CRASH (see $$log)"; \
	  elif grep -q '^SKIP' $$log; then result=skipped; else result="0 crashes"; fi; \
	  printf '%-16s %14s %8s %s\n' $$t "$${execs:--}" "$${rate:--}" "$$result"; \
	done; exit $$status

# `make demo DEMO_PORT=3300 DEMO_SIM_PORT=3400` when 3000/3100 are taken.
DEMO_PORT ?= 3000
DEMO_SIM_PORT ?= 3100
demo: build-demo
	bash deploy/demo.sh $(BUILD_DIR) $(DEMO_PORT) $(DEMO_SIM_PORT)

clean:
	rm -rf $(BUILD_DIR)
