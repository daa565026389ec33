// Package workloads owns usage traces: the Trace type, the generators (step,
// sinusoidal, low_high, spikes, trend, weekly), the loaders for public traces
// (Alibaba 2018, Azure, Google 2011/2019, Bitbrains, job files, generic CSV) and
// the on-disk store under data/workloads/<id>/. It depends on core/model only.
package workloads
