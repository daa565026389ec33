// Package workloads owns usage traces: the Trace type, the generators (step,
// sinusoidal, low_high, spikes, trend, weekly), the loaders for public traces
// (Alibaba 2018, Azure, Google 2011/2019, Bitbrains, job files, generic CSV) and
// the on-disk store under data/workloads/<id>/. It depends on core/model only.
//
// # Store format
//
// A workload is a directory <store>/<id>/ with two files:
//
//   - trace.csv: the header `timestamp,cpu_millicores,memory_bytes`, then one
//     row per sample. timestamp is Unix seconds (an integer, UTC); rows are in
//     strictly increasing time order; cpu_millicores and memory_bytes are
//     non-negative decimals written as the shortest text that reads back to the
//     same float64 (no exponent). Unix seconds were chosen over RFC 3339 because
//     they are unambiguous, compact and fast to parse; sub-second sampling is
//     not supported (generators require whole-second intervals and loaders
//     round source timestamps to the second).
//   - meta.json: the Meta of the trace (id, source, type, series, interval as a
//     Go duration string, start, end, samples, originalRequest, conversions,
//     assumedMachine, seed, config).
//
// Save writes a workload into a temporary directory inside the store and
// renames it into place, so an interrupted or failed save leaves no half
// directory; SaveAll does the same for several traces as one unit.
//
// # Generators
//
// Each generator type has a JSON config with a "cpu" part (millicores) and a
// "memory" part (bytes), configured independently, and a "_doc" object that
// documents every field. The canonical defaults live in workloads/configs/ and
// are embedded in the binary; data/configs/workloads/ holds identical copies
// for people to read and edit (a test keeps them equal). Generation is
// deterministic for a seed: CPU and memory draw from their own PCG streams,
// samples start at DefaultStart (Monday 2026-01-05T00:00:00Z) unless told
// otherwise, and the same arguments give byte-identical trace.csv files.
package workloads
