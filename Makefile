# SeqKit make targets. `make help` lists them.
SWIFT ?= swift

.PHONY: help deps build release test format lint clean deps-mpi release-mpi test-mpi

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

deps-mpi: ## install Open MPI (openmpi-bin, libopenmpi-dev) when missing (Debian/Ubuntu)
	@command -v mpirun >/dev/null && pkg-config --exists ompi || \
	  { SUDO=$$( [ "$$(id -u)" -ne 0 ] && echo sudo ); $$SUDO apt-get update -qq && \
	    $$SUDO apt-get install -y -qq openmpi-bin libopenmpi-dev; }

release-mpi: deps deps-mpi ## release seqtrain with the MPI trait, into .build/mpi/release/ (run it under mpirun)
	$(SWIFT) build -c release --traits MPI --scratch-path .build/mpi --product seqtrain

test-mpi: deps deps-mpi ## build with the MPI trait (debug, .build/mpi) and run the data-parallel tests under mpirun
	bash Tests/MPI/run.sh

format: ## rewrite sources with swift format
	$(SWIFT) format --in-place --recursive Package.swift $(wildcard Sources Tests Benchmarks Examples Fuzz)

lint: ## check formatting as CI does
	$(SWIFT) format lint --strict --recursive Package.swift $(wildcard Sources Tests Benchmarks Examples Fuzz)

clean: ## remove build products
	rm -rf .build

CONFIG ?= Configs/tiny-gpt.json

.PHONY: run corpus bench bench-quick tools install docs-check docs fuzz

corpus: ## fetch the Shakespeare corpus (checksum-verified) into Corpora/shakespeare.txt
	bash Corpora/fetch-shakespeare.sh

RUN_OUT ?= runs/$(basename $(notdir $(CONFIG)))

TOOLS = seqtrain seqsample seqtok seqembed
PREFIX ?= $(HOME)/.local

tools: deps ## build every tool (seqtrain, seqsample, seqtok, seqembed) in release, into .build/release/
	$(foreach tool,$(TOOLS),$(SWIFT) build -c release --product $(tool) &&) true

install: tools ## copy the release tools to $(PREFIX)/bin (PREFIX defaults to ~/.local)
	install -d "$(PREFIX)/bin"
	install -m 755 $(addprefix .build/release/,$(TOOLS)) "$(PREFIX)/bin/"
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; *) echo "note: $(PREFIX)/bin is not on PATH; add it, e.g. export PATH=\"$(PREFIX)/bin:\$$PATH\"";; esac

TRAIN_ARGS ?=

run: tools corpus ## the main job: build in release, train $(CONFIG) (kept if trained before), print a sample from it
	@if [ -d "$(RUN_OUT)/latest" ] && [ -z "$(TRAIN_ARGS)" ]; then \
	  echo "$(RUN_OUT) holds a trained run; sampling from it (make run TRAIN_ARGS=--overwrite trains it again)"; \
	else \
	  .build/release/seqtrain --config $(CONFIG) --out $(RUN_OUT) $(TRAIN_ARGS); \
	fi
	@echo "report: $(RUN_OUT)/report.html (curves, samples, config); TensorBoard: tensorboard --logdir runs"
	.build/release/seqsample --checkpoint $(RUN_OUT) --prompt "Romeo." --max-tokens 400 --seed 1337

BENCH_ARGS ?=

bench: deps ## run the PyTorch comparison (pip install torch safetensors numpy; minilm, mpi when their parts exist)
	$(SWIFT) build -c release --product seqbench
	@if [ -f Models/all-MiniLM-L6-v2/model.safetensors ]; then \
	  echo "$(SWIFT) build -c release --product minilmbench"; $(SWIFT) build -c release --product minilmbench; fi
	@if command -v mpirun >/dev/null && pkg-config --exists ompi; then \
	  echo "$(SWIFT) build -c release --traits MPI --scratch-path .build/mpi --product seqtrain"; \
	  $(SWIFT) build -c release --traits MPI --scratch-path .build/mpi --product seqtrain; fi
	python3 Benchmarks/compare-pytorch.py --skip-build $(BENCH_ARGS)

bench-quick: deps ## a developer's before/after check: 1 round, 3-second windows, four small configs, no RESULTS.md
	$(SWIFT) build -c release --product seqbench
	python3 Benchmarks/compare-pytorch.py --skip-build --rounds 1 --seconds 3 --warmup 1 --runs 2 --tokens 127 \
		--only tiny-gpt,char-lstm,char-rnn,char-gru --workloads peak,train,sample --no-check --results '' $(BENCH_ARGS)

docs-check: build ## compile and run every Swift snippet in README.md and the DocC articles from a folder outside the checkout
	bash Scripts/check-snippets.sh

docs: ## build the DocC reference with the articles (Sources/SeqKit/SeqKit.docc) into .build/docs
	$(SWIFT) package --allow-writing-to-directory .build/docs generate-documentation --target SeqKit \
	  --disable-indexing --output-path .build/docs

FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=

fuzz: deps ## run each parser's libFuzzer target for FUZZ_SECONDS (default 60) from a seed corpus of valid files
	bash Fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)
