package main

import (
	"time"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/sim"
	"github.com/smartvpa/smartvpa/kube"
	"github.com/smartvpa/smartvpa/kube/tuisource"
	"github.com/smartvpa/smartvpa/tui"
)

// whatIf returns the what-if of the UI's b key on the source's workloads: the
// history of --history (auto: Prometheus when --prometheus-url is set, else
// serve's journal), replayed against every recommender of the picker; nil
// with --history live, which has no time line to replay.
func (o *UIOptions) whatIf(src *tuisource.Source) tui.WhatIfer {
	mode := o.History
	if mode == "auto" {
		mode = "checkpoints"
		if o.PrometheusURL != "" {
			mode = "prometheus"
		}
	}
	l := &liveBacktest{opts: o.liveOptions, History: mode, MaxSeries: defaultMaxSeries}
	if mode == "live" {
		return nil
	}
	col, _, err := l.collector()
	if err != nil {
		return nil
	}
	opts := sim.DefaultOptions()
	var step time.Duration // the journal's samples have no step
	if p, ok := col.Source.(*kube.PrometheusMeans); ok {
		step = p.EffectiveStep()
	}
	asked := l.opts.HistoryDuration
	if mode != "prometheus" {
		asked = 0
	}
	return &tuisource.WhatIf{
		Resolve: src.Resolve, Collector: col, Label: l.source(), Names: o.names,
		Options: &opts, HistoryDuration: asked, Step: step,
		Seed: o.Seed, Config: recommend.Config{Seed: o.Seed, ModelFile: o.ModelFile, Profile: o.Profile},
	}
}
