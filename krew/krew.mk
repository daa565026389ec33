# krew/krew.mk: the krew plugin manifest and its real check (included by the top Makefile).
# `make dist` (top Makefile, hack/krew-dist.sh) builds the archives these two read.

.PHONY: krew-manifest
krew-manifest: ## render krew/smartvpa.yaml from its template with the sha256 of the archives in dist/
	hack/krew-manifest.sh

.PHONY: krew-check
krew-check: ## validate krew/smartvpa.yaml with krew v0.4.3, install the dist/ archives with krew, run kubectl smartvpa version, uninstall
	GO="$(GO)" hack/krew-check.sh
