# jobd: `make run` starts jobd on the embedded NATS server with config.toml;
# `make test` runs the whole test suite.

GO       ?= go
BIN      := bin
# folder:kind of each built-in plugin; bin/plugins/jobd-<kind> is built from plugins/<folder>.
PLUGINS  := notification:notification dbaction:db_action action:action feature:feature
SOAK_FOR  ?= 10m
SOAK_RATE ?= 5000
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION)

.DEFAULT_GOAL := help

.PHONY: help
help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build bin/jobd and every plugin into bin/plugins
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/jobd ./cmd/jobd
	@for p in $(PLUGINS); do \
		dir=$${p%%:*}; kind=$${p##*:}; \
		echo "$(GO) build -o $(BIN)/plugins/jobd-$$kind ./plugins/$$dir"; \
		$(GO) build -o $(BIN)/plugins/jobd-$$kind ./plugins/$$dir || exit 1; \
	done

.PHONY: run
run: build ## Build, then run jobd with config.toml on the embedded NATS server
	$(BIN)/jobd run -c config.toml

.PHONY: test
test: ## Run the whole test suite (engine and SDK packages with the race detector)
	$(GO) vet ./...
	cd sdk && $(GO) vet ./...
	$(GO) test -race -count=1 ./engine/...
	cd sdk && $(GO) test -race -count=1 ./...
	$(GO) test -count=1 ./cmd/... ./plugins/... ./examples/...
	cd examples/plugin-slack && $(GO) test -count=1 ./...

.PHONY: bench
bench: ## Benchmarks: Go micro-benchmarks, the floor and the engine side by side (bench.json), then the scheduled-run cases (bench-sched.json)
	$(GO) test -p 1 -run '^$$' -bench . -benchtime 1s -count 1 ./engine/...
	cd sdk && $(GO) test -p 1 -run '^$$' -bench . -benchtime 1s -count 1 ./host
	$(GO) run ./engine/internal/bench $(BENCHFLAGS)
	$(GO) run ./engine/internal/bench -sched -json bench-sched.json $(BENCHFLAGS)

.PHONY: soak
soak: ## Soak: a steady SOAK_RATE events/s (5000) for SOAK_FOR (10m); memory, disk and latency every 5 s into soak.json and soak.png
	$(GO) run ./engine/internal/bench -soak $(SOAK_FOR) -rate $(SOAK_RATE) $(BENCHFLAGS)

.PHONY: mutate
mutate: ## Mutation-test one package with its own tests: make mutate PKG=engine/internal/policy [FILES=regexp] (slow; see docs/TESTING.md)
	@test -n "$(PKG)" || { echo "usage: make mutate PKG=path/to/package [FILES=regexp of file names]"; exit 2; }
	@test -x $(BIN)/gremlins || GOBIN=$(abspath $(BIN)) $(GO) install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
	$(GO) run ./cmd/jobd-mutate -gremlins $(abspath $(BIN))/gremlins -equivalent docs/TESTING.md -files '$(FILES)' $(PKG)

.PHONY: lint
lint: ## gofmt and go vet (the main module and the SDK module)
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'))" || { gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'); exit 1; }
	$(GO) vet ./...
	cd sdk && $(GO) vet ./...

.PHONY: generate
generate: ## Regenerate the protobuf code in sdk/internal/pluginpb (needs protoc, protoc-gen-go, protoc-gen-go-grpc)
	cd sdk && protoc --proto_path=proto \
		--go_out=. --go_opt=module=github.com/jobd-dev/jobd/sdk \
		--go-grpc_out=. --go-grpc_opt=module=github.com/jobd-dev/jobd/sdk \
		proto/jobd/plugin/v1/plugin.proto

.PHONY: verify
verify: generate lint ## Regenerate code and fail when it differs from what is committed
	git diff --exit-code -- sdk/internal/pluginpb

.PHONY: clean
clean: ## Remove built binaries (not data/)
	rm -rf $(BIN)
