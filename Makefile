# Cloister — the front door. `make demo` and `make test` are all a new user needs.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1
CMAKE_FLAGS ?=
PREFIX     ?= /usr/local

.PHONY: all deps contracts build build-asan test test-fast demo install bench soak fuzz format format-check clean help

all: build

help:
	@echo "make demo     install what is missing, build, run the main job"
	@echo "make test     install, build, run every test (normal + ASan/UBSan build)"
	@echo "make install PREFIX=DIR   cloister, cloister-enclave, anvil, contract artifacts (default /usr/local)"
	@echo "make bench    run the benchmarks (figures go to docs/BENCHMARKS.md)"
	@echo "make soak     the long runs: three operators under chaos with 1000 jobs"
	@echo "make fuzz     run each libFuzzer harness for FUZZ_SECONDS (default 60), FUZZ_JOBS at a time"
	@echo "make format   clang-format the C sources, forge fmt the Solidity ones"

deps:
	@bash scripts/deps.sh

# The contracts first: the C client's ABI is generated from their artifacts.
contracts: deps
	@bash scripts/forge.sh build >/dev/null

build: contracts
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

build-asan: contracts
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCLO_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

# The sanitizer run goes first; the plain build's ctest summary is the last word.
test: build build-asan
	@echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS)
	@echo "== contracts: forge unit and fuzz tests, gas report =="
	@bash scripts/forge.sh
	@echo "== tests (release build) =="
	@ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

test-fast: build
	@ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

demo: build
	@$(BUILD)/bin/cloister demo

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

soak: build
	@CLO_FAILOVER_JOBS=1000 node tests/chain/failover_test.mjs $(BUILD)/bin/cloister

bench: build
	@$(BUILD)/bin/clo_bench
	@$(BUILD)/bin/clo_bench_enclave
	@node bench/chain_bench.mjs $(BUILD)/bin/cloister
	@node bench/dcap_gas.mjs
	@taskset -c 1 node bench/onnx_bench.mjs $(BUILD)/bin/clo_bench_onnx
	@taskset -c 1 node bench/onnx_real.mjs $(BUILD)/bin/cloister
	@taskset -c 1 $(BUILD)/bin/clo_bench_inference
	@node bench/fetch_bench.mjs $(BUILD)
	@node bench/fleet_bench.mjs $(BUILD)/bin/cloister
	@node bench/pool_bench.mjs $(BUILD)/bin/cloister

fuzz: contracts
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DCLO_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j$(JOBS)
	@bash scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_JOBS)

format:
	@clang-format -i $$(git ls-files --cached --others --exclude-standard '*.c' '*.h')
	@bash scripts/forge.sh fmt

format-check:
	@clang-format --dry-run --Werror $$(git ls-files --cached --others --exclude-standard '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
