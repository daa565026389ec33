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
	@# Only the stores are rebuilt: the folds' models of 'make quality' (lofo-*) stay for inspection.
	@rm -rf $(MODELS_STORES) && mkdir -p $(MODELS_WORK)
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
	@for r in lstm bandit autopilot; do \
		echo "train $$r"; \
		$(KSV) train --recommender $$r $(foreach s,$(MODELS_STORES),--workloads $(s)) --holdout $(MODELS_HOLDOUT) --seed $(MODELS_SEED) --out models/$$r.json || exit 1; \
	done
	@$(MAKE) --no-print-directory build
	@echo "train smart"; $(KSV) train --recommender smart $(foreach s,$(MODELS_STORES),--workloads $(s)) --holdout $(MODELS_HOLDOUT) --seed $(MODELS_SEED) --out models/smart.json
	@$(MAKE) --no-print-directory build

# The quality report: leave one family out. Each family (a store of
# models-workloads) is held out in turn: lstm, bandit and autopilot are trained on
# the other families, then smart's sweep with those as its candidates; the
# held-out family is backtested with them at each update budget, with the
# hindsight oracle (1 h and 24 h windows, and CPU quantiles of the 24 h one)
# as references. Then every recommender with the shipped models is
# backtested on the series those hold out (every $(MODELS_HOLDOUT)-th). vpa and
# smart are also run on the first day of every series (a warm-up of 1 h, then a
# day measured: smart's cold start) at the first-day budgets. hack/quality
# writes docs/quality.md from the reports.
QUALITY_RECOMMENDERS ?= vpa,autopilot,forecast,bandit,lstm,smart,smart:reliability,smart:savings
QUALITY_BUDGETS      ?= 0 1h 12h
QUALITY_FIRSTDAY_BUDGETS ?= 1h 12h
QUALITY_QUANTILES    ?= 0.9 0.95 0.98 0.99
QUALITY_FAMILIES      = $(notdir $(MODELS_STORES))
# The shipped models (built into $(KSV)) are backtested on the series they
# hold out for validation, listed from models/*.json.
QUALITY_TOOL          = $(GO) run ./hack/quality -dir $(MODELS_WORK) -families $(subst $(space),$(comma),$(QUALITY_FAMILIES)) -models models
comma := ,
space := $(empty) $(empty)

.PHONY: quality
quality: models-workloads ## leave-one-family-out backtests of vpa, autopilot, forecast, bandit, lstm, smart (at its three risk profiles) and the oracle at update budgets 0, 1h, 12h; write docs/quality.md
	@set -euo pipefail; fams="$(QUALITY_FAMILIES)"; \
	if [ $$(echo $$fams | wc -w) -lt 2 ]; then echo "make quality needs at least two workload families: put the traces at $(MODELS_TRACES)" >&2; exit 2; fi; \
	for f in $$fams; do \
		d=$(MODELS_WORK)/lofo-$$f; rm -rf $$d; mkdir -p $$d; train=""; \
		for s in $$fams; do [ $$s = $$f ] || train="$$train --workloads $(MODELS_WORK)/$$s"; done; \
		for r in lstm bandit autopilot smart; do \
			echo "quality: $$f held out: train $$r on the other families"; \
			$(KSV) train --recommender $$r $$train --holdout 0 --seed $(MODELS_SEED) --model $$d --out $$d/$$r.json.new >/dev/null; \
			mv $$d/$$r.json.new $$d/$$r.json; \
		done; \
		for b in $(QUALITY_BUDGETS); do \
			echo "quality: $$f held out: backtest at --min-update-interval $$b"; \
			$(KSV) backtest --workloads $(MODELS_WORK)/$$f --recommenders $(QUALITY_RECOMMENDERS) --model $$d --min-update-interval $$b --seed $(MODELS_SEED) -o json > $(MODELS_WORK)/$$f-$$b.json; \
			for w in 1h 24h; do \
				$(KSV) backtest --workloads $(MODELS_WORK)/$$f --recommenders oracle --oracle-window $$w --min-update-interval $$b --seed $(MODELS_SEED) -o json > $(MODELS_WORK)/$$f-$$b-oracle$$w.json 2>/dev/null; \
			done; \
		done; \
		for b in $(QUALITY_FIRSTDAY_BUDGETS); do \
			echo "quality: $$f held out: the first day of every series at --min-update-interval $$b"; \
			$(KSV) backtest --workloads $(MODELS_WORK)/$$f --recommenders vpa,smart --model $$d --warmup 1h --measure-for 1d --min-update-interval $$b --seed $(MODELS_SEED) -o json > $(MODELS_WORK)/$$f-firstday-$$b.json 2>/dev/null; \
		done; \
		for q in $(QUALITY_QUANTILES); do \
			$(KSV) backtest --workloads $(MODELS_WORK)/$$f --recommenders oracle --oracle-quantile $$q --seed $(MODELS_SEED) -o json > $(MODELS_WORK)/$$f-q$$q.json 2>/dev/null; \
		done; \
	done; \
	val=$$($(QUALITY_TOOL) -list-validation); \
	for b in $(QUALITY_BUDGETS); do \
		echo "quality: the shipped models on the series they hold out: backtest at --min-update-interval $$b"; \
		$(KSV) backtest --workloads $$val --recommenders $(QUALITY_RECOMMENDERS) --min-update-interval $$b --seed $(MODELS_SEED) -o json > $(MODELS_WORK)/validation-$$b.json; \
	done
	$(QUALITY_TOOL) -budgets $(subst $(space),$(comma),$(strip $(QUALITY_BUDGETS))) -quantiles $(subst $(space),$(comma),$(strip $(QUALITY_QUANTILES))) \
		-first-day $(subst $(space),$(comma),$(strip $(QUALITY_FIRSTDAY_BUDGETS))) \
		-command "make quality" -out docs/quality.md
