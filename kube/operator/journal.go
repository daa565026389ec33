package operator

import (
	"encoding/binary"
	"errors"
	"iter"
	"math"
	"time"

	"github.com/smartvpa/smartvpa/core/model"
)

// journal is the sample history a container's checkpoint replays, kept
// compact: 8 days of 1-minute samples are 11,520 samples, 460 KB per
// container as model.Sample values and 5-10 KB here. Samples are encoded in
// chunks of at most chunkSize; the oldest chunk is dropped once the journal
// holds more than max samples without it, so the journal keeps between
// max-chunkSize and max samples.
//
// Encoding of a chunk, one sample after another: the time as the zigzag
// varint of its delta-of-delta in nanoseconds (the first sample of a chunk:
// of its Unix time), then CPU and memory each as a uvarint tag: an integral
// value (metrics.k8s.io gives whole millicores and bytes) is the zigzag delta
// from the chunk's previous integral value shifted left once; any other value
// is tag 1 followed by its 8 IEEE-754 bytes; then (checkpoint version 3 on)
// the pod tag as a uvarint: the pod's slot shifted left once, plus 1 for the
// first sample of a new pod in that slot (see podSlots). Decoding gives back
// the exact float64 values, times and tags. Version 2 journals have no tag
// (decodeUntagged reads them as slot 0).
type journal struct {
	max       int
	chunkSize int
	chunks    []jchunk
	n         int
}

// podTag is a sample's pod slot and whether it starts a new pod there.
type podTag uint64

func makeTag(slot int, start bool) podTag {
	t := podTag(max(slot, 0)) << 1
	if start {
		t |= 1
	}
	return t
}

// maxSlot bounds a pod slot (pods beyond it share the last slot): a corrupt
// checkpoint cannot make a recommender allocate state for millions of pods.
const maxSlot = 1 << 12

func (t podTag) slot() int   { return int(min(t>>1, maxSlot)) }
func (t podTag) start() bool { return t&1 == 1 }

// taggedSample is a sample with its pod tag.
type taggedSample struct {
	tag podTag
	smp model.Sample
}

type jchunk struct {
	data []byte
	n    int
	// Encoder state after the chunk's last sample.
	lastT, lastDT int64
	lastV         [2]int64
}

const maxExact = 1 << 53

func newJournal(maxSamples int) *journal {
	return &journal{max: maxSamples, chunkSize: min(512, max(1, maxSamples/8))}
}

// Len returns the number of samples held.
func (j *journal) Len() int { return j.n }

func appendZigzag(b []byte, v int64) []byte {
	return binary.AppendUvarint(b, uint64(v<<1)^uint64(v>>63))
}

func readZigzag(b []byte) (int64, int) {
	u, n := binary.Uvarint(b)
	return int64(u>>1) ^ -int64(u&1), n
}

// add appends a sample of slot 0 (in time order).
func (j *journal) add(s model.Sample) { j.addTagged(0, s) }

// addTagged appends a sample with its pod tag (in time order).
func (j *journal) addTagged(tag podTag, s model.Sample) {
	if len(j.chunks) == 0 || j.chunks[len(j.chunks)-1].n >= j.chunkSize {
		if len(j.chunks) > 0 {
			last := &j.chunks[len(j.chunks)-1]
			last.data = append([]byte(nil), last.data...) // sealed: no spare capacity
		}
		j.chunks = append(j.chunks, jchunk{})
	}
	c := &j.chunks[len(j.chunks)-1]
	t := s.Time.UnixNano()
	if c.n == 0 {
		c.data = appendZigzag(c.data, t)
		c.lastDT = 0
	} else {
		dt := t - c.lastT
		c.data = appendZigzag(c.data, dt-c.lastDT)
		c.lastDT = dt
	}
	c.lastT = t
	for i, v := range [2]float64{s.CPUMillicores, s.MemoryBytes} {
		if v == math.Trunc(v) && math.Abs(v) < maxExact && !(v == 0 && math.Signbit(v)) {
			iv := int64(v)
			d := iv - c.lastV[i]
			c.data = binary.AppendUvarint(c.data, (uint64(d<<1)^uint64(d>>63))<<1)
			c.lastV[i] = iv
		} else {
			c.data = binary.AppendUvarint(c.data, 1)
			c.data = binary.LittleEndian.AppendUint64(c.data, math.Float64bits(v))
		}
	}
	c.data = binary.AppendUvarint(c.data, uint64(tag))
	c.n++
	j.n++
	j.trim()
}

// All yields every sample held, oldest first.
func (j *journal) All() iter.Seq[model.Sample] {
	return func(yield func(model.Sample) bool) {
		j.each(yield)
	}
}

func (j *journal) each(f func(model.Sample) bool) {
	j.eachTagged(func(_ podTag, s model.Sample) bool { return f(s) })
}

// Tagged yields every sample held with its pod tag, oldest first.
func (j *journal) Tagged() iter.Seq2[podTag, model.Sample] {
	return func(yield func(podTag, model.Sample) bool) {
		j.eachTagged(yield)
	}
}

func (j *journal) eachTagged(f func(podTag, model.Sample) bool) {
	for _, c := range j.chunks {
		if stopped, _ := c.decode(true, f); stopped {
			return
		}
	}
}

// decode calls f with each sample of the chunk until f returns false
// (stopped); tagged says the samples carry pod tags (version 3). It checks
// the bytes as it goes: a chunk that does not hold exactly n samples ending
// in its encoder state gives an error.
func (c *jchunk) decode(tagged bool, f func(podTag, model.Sample) bool) (stopped bool, err error) {
	b := c.data
	var t, dt int64
	var lastV [2]int64
	for k := 0; k < c.n; k++ {
		x, m := readZigzag(b)
		if m <= 0 {
			return false, errJournalTruncated
		}
		b = b[m:]
		if k == 0 {
			t = x
		} else {
			dt += x
			t += dt
		}
		var v [2]float64
		for i := range v {
			u, m := binary.Uvarint(b)
			if m <= 0 {
				return false, errJournalTruncated
			}
			b = b[m:]
			if u == 1 {
				if len(b) < 8 {
					return false, errJournalTruncated
				}
				v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
				b = b[8:]
				continue
			}
			u >>= 1
			lastV[i] += int64(u>>1) ^ -int64(u&1)
			v[i] = float64(lastV[i])
		}
		var tag podTag
		if tagged {
			u, m := binary.Uvarint(b)
			if m <= 0 {
				return false, errJournalTruncated
			}
			b, tag = b[m:], podTag(u)
		}
		if f != nil && !f(tag, model.Sample{Time: time.Unix(0, t).UTC(), CPUMillicores: v[0], MemoryBytes: v[1]}) {
			return true, nil
		}
	}
	if len(b) != 0 || (c.n > 0 && (t != c.lastT || (c.n > 1 && dt != c.lastDT) || lastV != c.lastV)) {
		return false, errJournalTruncated
	}
	return false, nil
}

// bytes returns the encoded size (for tests and benchmarks).
func (j *journal) bytes() int {
	n := 0
	for _, c := range j.chunks {
		n += cap(c.data)
	}
	return n
}

// appendTo appends the journal's binary form to b: the chunk count, then
// per chunk its sample count, encoder state (last time, last time step,
// last integral CPU and memory, each a zigzag varint), byte length and
// bytes. readJournal reads it back; the samples are not re-encoded.
func (j *journal) appendTo(b []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(j.chunks)))
	for _, c := range j.chunks {
		b = binary.AppendUvarint(b, uint64(c.n))
		for _, v := range [4]int64{c.lastT, c.lastDT, c.lastV[0], c.lastV[1]} {
			b = appendZigzag(b, v)
		}
		b = binary.AppendUvarint(b, uint64(len(c.data)))
		b = append(b, c.data...)
	}
	return b
}

// readJournal reads what appendTo wrote from the start of b into a journal
// of at most maxSamples (older chunks beyond it are dropped) and returns the
// rest of b. The chunks share b's bytes (capacity-limited, so adding to the
// journal copies the last chunk instead of writing into b): b must not
// change while the journal is used.
func readJournal(b []byte, maxSamples int) (*journal, []byte, error) {
	return readJournalTagged(b, maxSamples, true)
}

// readUntaggedJournal reads a version 2 journal (no pod tags) into a tagged
// one, every sample of slot 0 (the samples are re-encoded).
func readUntaggedJournal(b []byte, maxSamples int) (*journal, []byte, error) {
	old, rest, err := readJournalTagged(b, maxSamples, false)
	if err != nil {
		return nil, nil, err
	}
	j := newJournal(maxSamples)
	for _, c := range old.chunks {
		if _, err := c.decode(false, func(_ podTag, s model.Sample) bool { j.add(s); return true }); err != nil {
			return nil, nil, err
		}
	}
	return j, rest, nil
}

func readJournalTagged(b []byte, maxSamples int, tagged bool) (*journal, []byte, error) {
	j := newJournal(maxSamples)
	uv := func() (uint64, error) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, errJournalTruncated
		}
		b = b[n:]
		return v, nil
	}
	nc, err := uv()
	if err != nil {
		return nil, nil, err
	}
	if nc > uint64(len(b)) {
		return nil, nil, errJournalTruncated
	}
	j.chunks = make([]jchunk, 0, nc)
	for range nc {
		var c jchunk
		n, err := uv()
		if err != nil {
			return nil, nil, err
		}
		var st [4]int64
		for i := range st {
			v, m := readZigzag(b)
			if m <= 0 {
				return nil, nil, errJournalTruncated
			}
			st[i], b = v, b[m:]
		}
		size, err := uv()
		if err != nil {
			return nil, nil, err
		}
		if size > uint64(len(b)) || n > size {
			return nil, nil, errJournalTruncated
		}
		c.n = int(n)
		c.lastT, c.lastDT, c.lastV = st[0], st[1], [2]int64{st[2], st[3]}
		c.data = b[:size:size]
		b = b[size:]
		if c.n == 0 {
			continue
		}
		if _, err := c.decode(tagged, nil); err != nil {
			return nil, nil, err
		}
		j.chunks = append(j.chunks, c)
		j.n += c.n
	}
	j.trim()
	return j, b, nil
}

var errJournalTruncated = errors.New("journal data is truncated or corrupt")

// trim drops the oldest chunks while the journal holds more than max
// samples (keeping at least one chunk).
func (j *journal) trim() {
	for len(j.chunks) > 1 && j.n > j.max {
		j.n -= j.chunks[0].n
		j.chunks[0] = jchunk{}
		j.chunks = j.chunks[1:]
	}
}

// after returns a journal of the samples after the first k (the journal
// itself when k is 0).
func (j *journal) after(k int) *journal {
	if k <= 0 {
		return j
	}
	out := newJournal(j.max)
	i := 0
	for tag, s := range j.Tagged() {
		if i >= k {
			out.addTagged(tag, s)
		}
		i++
	}
	return out
}
