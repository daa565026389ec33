# Default models and the quality report (issue 5). `make models` rebuilds
# models/*.json reproducibly; `make quality` writes docs/quality.md.
#
# Workloads: generated ones (fixed types and seeds) plus ../shared/traces
# imported into stores under $(MODELS_WORK). Split: the train command holds
# out every $(MODELS_HOLDOUT)-th workload (stores in a fixed order, each sorted by id) for
# validation (counting over all stores in the order below); only the rest
# trains, and each model file lists both sets. The quality report scores both.

MODELS_TRACES  ?= ../shared/traces
MODELS_WORK    ?= $(BIN)/models-work
MODELS_SEED    ?= 1
MODELS_HOLDOUT ?= 3
MODELS_GEN_TYPES := low_high sinusoidal spikes step trend weekly
KSV := $(BIN)/kubectl-smartvpa

.PHONY: models-workloads
models-workloads: build
	@rm -rf $(MODELS_WORK) && mkdir -p $(MODELS_WORK)
	@for t in $(MODELS_GEN_TYPES); do for s in 1 2 3; do \
		$(KSV) workload generate --type $$t --seed $$s --duration 14d --interval 5m --id gen-$$t-$$s --out $(MODELS_WORK)/generated >/dev/null || exit 1; \
	done; done
	@if [ -d $(MODELS_TRACES) ]; then \
		$(KSV) workload import --format bitbrains $(MODELS_TRACES)/bitbrains-rnd-2013-7/*.csv --out $(MODELS_WORK)/bitbrains >/dev/null && \
		$(KSV) workload import --format bitbrains $(MODELS_TRACES)/bitbrains-rnd-2013-8/*.csv.gz --out $(MODELS_WORK)/bitbrains >/dev/null && \
		$(KSV) workload import --format jobs $(MODELS_TRACES)/google2011-jobs --out $(MODELS_WORK)/google >/dev/null && \
		$(KSV) workload import --format alibaba-machine $(MODELS_TRACES)/alibaba2018/machine_usage.csv $(MODELS_TRACES)/alibaba2018/machine_meta.csv --out $(MODELS_WORK)/alibaba >/dev/null; \
	else echo "$(MODELS_TRACES) not found: training on generated workloads only" >&2; fi

# The stores train in this fixed order; the holdout counts over all of them.
MODELS_STORES = $(wildcard $(MODELS_WORK)/generated $(MODELS_WORK)/bitbrains $(MODELS_WORK)/google $(MODELS_WORK)/alibaba)

.PHONY: models
models: models-workloads ## rebuild models/*.json reproducibly (generated workloads + ../shared/traces training subsets)
	@for r in lstm rl autopilot; do \
		echo "train $$r"; \
		$(KSV) train --recommender $$r $(foreach s,$(MODELS_STORES),--workloads $(s)) --holdout $(MODELS_HOLDOUT) --seed $(MODELS_SEED) --out models/$$r.json || exit 1; \
	done
	@$(MAKE) --no-print-directory build
	@echo "train smart"; $(KSV) train --recommender smart $(foreach s,$(MODELS_STORES),--workloads $(s)) --holdout $(MODELS_HOLDOUT) --seed $(MODELS_SEED) --out models/smart.json
	@$(MAKE) --no-print-directory build

QUALITY_RECOMMENDERS ?= vpa,autopilot,forecast,rl,lstm,smart,oracle

.PHONY: quality
quality: models-workloads ## backtest vpa, autopilot, forecast, rl, lstm, smart and oracle on ../shared/traces + generated workloads; write docs/quality.md
	@for s in $(notdir $(MODELS_STORES)); do \
		echo "backtest $$s"; \
		$(KSV) backtest --workloads $(MODELS_WORK)/$$s --recommenders $(QUALITY_RECOMMENDERS) --seed $(MODELS_SEED) -o json > $(MODELS_WORK)/quality-$$s.json || exit 1; \
	done
	$(GO) run ./hack/quality -out docs/quality.md -models models -command "make quality" $(foreach s,$(notdir $(MODELS_STORES)),$(s)=$(MODELS_WORK)/quality-$(s).json)
