# kiro-bridge: `make run` starts the service, `make test` passes every test.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CONFIG_DIR ?= config

.PHONY: all deps build test run bench demo fuzz clean

all: build

deps:
	@bash deploy/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

run: build
	$(BUILD_DIR)/bin/kiro-bridge --config-dir $(CONFIG_DIR)

bench: build
	bash tests/bench/run.sh $(BUILD_DIR)

# Longer fuzzing runs than the 20 s ones inside `make test`.
FUZZ_SECONDS ?= 300
fuzz: deps
	bash tests/fuzz/run.sh eventstream $(FUZZ_SECONDS) $(BUILD_DIR)
	bash tests/fuzz/run.sh claude_request $(FUZZ_SECONDS) $(BUILD_DIR)

demo: build
	bash deploy/demo.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
