# Stress images: the agent and the utilisation server (stress/Dockerfile.*).

DOCKER ?= docker
STRESS_IMAGE_REPO ?= ghcr.io/smartvpa
STRESS_IMAGE_TAG ?= $(VERSION)

.PHONY: images
images: ## build the stress agent and utilisation server images (needs a Docker engine; exit 2 without one)
	@command -v $(DOCKER) >/dev/null 2>&1 || { echo "make images: $(DOCKER) is missing: install Docker (or set DOCKER=podman) to build the images" >&2; exit 2; }
	@$(DOCKER) info >/dev/null 2>&1 || { echo "make images: $(DOCKER) is installed but no engine answers ('$(DOCKER) info' failed): start the Docker daemon" >&2; exit 2; }
	@set -e; for img in agent server; do \
	  echo "$(DOCKER) build -f stress/Dockerfile.$$img -t $(STRESS_IMAGE_REPO)/smartvpa-stress-$$img:$(STRESS_IMAGE_TAG) ."; \
	  DOCKER_BUILDKIT=1 $(DOCKER) build -f stress/Dockerfile.$$img \
	    --build-arg VERSION=$(VERSION) --build-arg GIT_COMMIT=$(GIT_COMMIT) \
	    -t $(STRESS_IMAGE_REPO)/smartvpa-stress-$$img:$(STRESS_IMAGE_TAG) . ; \
	done
