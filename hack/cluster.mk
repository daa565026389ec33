# Local control plane (issue 6): kwokctl binary runtime + metrics-server + Prometheus, no containers.
# Binaries are built once into ~/.cache/smartvpa/bin (hack/build-tools.sh); see hack/cluster-up.sh.
# The top Makefile owns the `e2e` target; e2e-run is the real suite.

E2E_TIMEOUT ?= 30m

.PHONY: build-tools
build-tools: ## build the control-plane binaries into ~/.cache/smartvpa/bin (cached by version)
	hack/build-tools.sh

.PHONY: cluster-up
cluster-up: ## start the local control plane (kwok nodes, metrics-server, Prometheus, demo namespace)
	hack/cluster-up.sh

.PHONY: cluster-down
cluster-down: ## stop every process of the local control plane by PID (keeps its data)
	hack/cluster-down.sh

.PHONY: cluster-purge
cluster-purge: ## stop the local control plane and delete its data
	hack/cluster-down.sh --purge

.PHONY: cluster-status
cluster-status: ## print KUBECONFIG=, KUBECONFIG_VIEW=, PROMETHEUS_URL= lines; fail when down
	@hack/cluster-status.sh

.PHONY: e2e-run
e2e-run: ## end-to-end tests (build tag e2e) on the local control plane, brought up if down
	$(GO) test -tags e2e -count=1 -timeout $(E2E_TIMEOUT) -v ./test/e2e/...
