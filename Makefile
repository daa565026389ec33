# smartvpa Makefile. `make` alone lists the targets. Fragments under hack/*.mk
# and other folders add their own targets; a target documents itself with a
# `## description` comment on its line.

SHELL := /bin/bash
GO ?= go
BIN := bin
PKG := github.com/smartvpa/smartvpa
VERSION ?= $(shell git describe --tags --match 'v*' --dirty 2>/dev/null || echo v0.0.0-$$(git rev-parse --short HEAD 2>/dev/null || echo dev))
GIT_COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.gitCommit=$(GIT_COMMIT)
# Packages that run goroutines: their tests run under the race detector too.
RACE_PKGS ?= $(shell $(GO) list ./... 2>/dev/null | grep -E '/(core/sim|stress|tui|kube|cmd/kubectl-smartvpa)(/|$$)')

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets with what they do
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_.-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST) | sort

.PHONY: build
build: ## build bin/kubectl-smartvpa (and the kubectl completion helper)
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/kubectl-smartvpa ./cmd/kubectl-smartvpa
	@install -m 0755 kubectl_complete-smartvpa $(BIN)/kubectl_complete-smartvpa

.PHONY: test
test: ## go vet + unit tests (race detector where goroutines run) + the architecture test (internal/arch)
	$(GO) vet ./...
	$(GO) test ./...
	@if [ -n "$(RACE_PKGS)" ]; then echo "$(GO) test -race <packages with goroutines>"; $(GO) test -race $(RACE_PKGS); fi

# golangci-lint is a tool, not a dependency: the pinned version is installed
# into a cache outside the repository (never into go.mod) the first time.
GOLANGCI_LINT_VERSION := v2.15.0
TOOLS_DIR ?= $(HOME)/.cache/smartvpa/tools
GOLANGCI_LINT := $(TOOLS_DIR)/golangci-lint-$(GOLANGCI_LINT_VERSION)

$(GOLANGCI_LINT):
	@mkdir -p $(TOOLS_DIR)
	GOBIN=$(TOOLS_DIR) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	@mv $(TOOLS_DIR)/golangci-lint $@

.PHONY: lint
lint: $(GOLANGCI_LINT) ## gofmt, go vet and golangci-lint (.golangci.yml; pinned, installed into ~/.cache/smartvpa/tools)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...

.PHONY: docs
docs: ## regenerate docs/commands.md, the command reference, from the command tree
	$(GO) test ./cmd/kubectl-smartvpa -run '^TestCommandReference$$' -count=1 -update
	@echo "wrote docs/commands.md"

.PHONY: docs-check
docs-check: ## fail when docs/commands.md is not what the command tree says (run make docs)
	$(GO) test ./cmd/kubectl-smartvpa -run '^TestCommandReference$$' -count=1

.PHONY: bench
bench: ## run the benchmarks (histogram, backtest throughput, TUI rendering)
	$(GO) test -run '^$$' -bench . -benchmem ./...

.PHONY: demo
demo: build ## the live demo: local control plane (cached; first build ~13 min on 2 cores, progress shown), recommend -n demo from Prometheus history, next steps
	@set -euo pipefail; \
	if ! hack/cluster-status.sh >/dev/null 2>&1; then \
		echo "make demo: starting the local control plane; the first run builds it from source (about 13 min on 2 cores, one line per component below), later runs take seconds"; \
		start=$$SECONDS; hack/cluster-up.sh >/dev/null; echo "make demo: control plane up in $$((SECONDS - start)) s"; \
	fi; \
	eval "$$(hack/cluster-status.sh)"; export KUBECONFIG PROMETHEUS_URL; \
	echo "$$ kubectl smartvpa recommend -n demo --history prometheus   (KUBECONFIG=$$KUBECONFIG, PROMETHEUS_URL=$$PROMETHEUS_URL)"; \
	$(BIN)/kubectl-smartvpa recommend -n demo --history prometheus; \
	echo; echo "next:"; \
	echo "  export KUBECONFIG=$$KUBECONFIG PROMETHEUS_URL=$$PROMETHEUS_URL PATH=$$PWD/$(BIN):\$$PATH"; \
	echo "  kubectl smartvpa recommend -n demo deploy/web --explain      # the evidence behind each number"; \
	echo "  kubectl smartvpa apply -n demo deploy/api --dry-run=server   # then --yes (add --watch to roll back on OOM)"; \
	echo "  kubectl smartvpa audit -n demo                               # exit 1: requests drift more than 30 %"; \
	echo "  kubectl smartvpa ui -n demo                                  # the TUI on the cluster (ui --demo: generated workloads)"; \
	echo "  make demo-sim                                                # the simulation demo, no cluster"

.PHONY: demo-sim
demo-sim: build ## generate step, sinusoidal and low_high workloads and backtest vpa against the oracle (no cluster)
	@set -euo pipefail; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	for t in step sinusoidal low_high; do $(BIN)/kubectl-smartvpa workload generate --type $$t --seed 1 --store "$$d" >/dev/null; done; \
	echo "backtest: vpa vs the hindsight oracle on generated step, sinusoidal and low_high workloads (8 days at 1m, 24h warm-up)"; \
	$(BIN)/kubectl-smartvpa backtest --workloads "$$d" --recommenders vpa,oracle

.PHONY: e2e
e2e: ## end-to-end tests on the local control plane (built and started when down; see hack/CLUSTER.md)
	@$(MAKE) --no-print-directory e2e-run

.PHONY: dist
dist: ## release archives for linux/darwin amd64+arm64 and windows/amd64, with sha256 sums, in dist/
	GO="$(GO)" BUILD_VERSION="$(VERSION)" GIT_COMMIT="$(GIT_COMMIT)" LDFLAGS="$(LDFLAGS)" hack/krew-dist.sh

.PHONY: clean
clean: ## remove build outputs
	rm -rf $(BIN) dist

-include hack/*.mk
-include krew/krew.mk
