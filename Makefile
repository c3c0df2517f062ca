# kiro-bridge: `make run` starts the service, `make test` passes every test.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CONFIG_DIR ?= config

.PHONY: all deps build test test-deploy run bench demo fuzz clean models models-list

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

run: build
	$(BUILD_DIR)/bin/kiro-bridge --config-dir $(CONFIG_DIR)

# The seed's `npm run models` / `npm run models:list`, against a running bridge.
ADMIN_URL ?= http://127.0.0.1:3000
models: build
	$(BUILD_DIR)/bin/kiroctl --url $(ADMIN_URL) models show

models-list: build
	$(BUILD_DIR)/bin/kiroctl --url $(ADMIN_URL) models list

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
