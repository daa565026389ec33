package operator

// The checkpoint formats (see checkpoint.go for what a checkpoint holds and
// how serve reads and writes it): version 2's binary journal file, the
// readers' expanded Checkpoint, and version 1's gzip JSON.

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/smartvpa/smartvpa/core/model"
)

// checkpointMeta is the JSON header of a version 2 checkpoint.
type checkpointMeta struct {
	Version     int                  `json:"version"`
	Recommender string               `json:"recommender"`
	VPA         string               `json:"vpa"`
	UID         string               `json:"uid"`
	Written     time.Time            `json:"written"`
	Seen        map[string]time.Time `json:"seen,omitempty"`
	OOMSeen     map[string]time.Time `json:"oomSeen,omitempty"`
	// Slots maps each live pod (UID) to its slot (version 3).
	Slots      map[string]int  `json:"slots,omitempty"`
	Containers []containerMeta `json:"containers"`
}

type containerMeta struct {
	Name  string    `json:"name"`
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	Total int       `json:"total"`
	OOMs  []OOM     `json:"ooms,omitempty"`
}

// journalFile is a decoded version 2 checkpoint: the header and each
// container's journal, still encoded.
type journalFile struct {
	meta     checkpointMeta
	journals map[string]*journal
}

// encode returns the binaryData[JournalKey] bytes.
func (f *journalFile) encode() ([]byte, error) {
	f.meta.Version = CheckpointVersion
	hdr, err := json.Marshal(f.meta)
	if err != nil {
		return nil, err
	}
	n := len(JournalMagic) + binary.MaxVarintLen64 + len(hdr)
	for _, j := range f.journals {
		n += j.bytes() + 16*len(j.chunks) + binary.MaxVarintLen64
	}
	b := make([]byte, 0, n)
	b = append(b, JournalMagic...)
	b = binary.AppendUvarint(b, uint64(len(hdr)))
	b = append(b, hdr...)
	for _, cm := range f.meta.Containers {
		j := f.journals[cm.Name]
		if j == nil {
			j = newJournal(1)
		}
		b = j.appendTo(b)
	}
	return b, nil
}

// decodeJournalFile reads what encode wrote, journals bounded by maxSamples.
func decodeJournalFile(b []byte, maxSamples int) (*journalFile, error) {
	if len(b) < len(JournalMagic) || string(b[:len(JournalMagic)]) != JournalMagic {
		return nil, fmt.Errorf("%s is not a smartvpa journal (version %d)", JournalKey, CheckpointVersion)
	}
	b = b[len(JournalMagic):]
	hl, n := binary.Uvarint(b)
	if n <= 0 || hl > uint64(len(b)-n) {
		return nil, errJournalTruncated
	}
	f := &journalFile{journals: map[string]*journal{}}
	if err := json.Unmarshal(b[n:n+int(hl)], &f.meta); err != nil {
		return nil, fmt.Errorf("checkpoint header: %w", err)
	}
	read := readJournal
	switch f.meta.Version {
	case CheckpointVersion:
	case 2:
		read = readUntaggedJournal
	default:
		return nil, fmt.Errorf("checkpoint version %d is not supported (this serve reads versions 1 to %d)", f.meta.Version, CheckpointVersion)
	}
	for slot := range maps.Values(f.meta.Slots) {
		if slot < 0 || slot > maxSlot {
			return nil, fmt.Errorf("checkpoint header: pod slot %d is out of range [0, %d]", slot, maxSlot)
		}
	}
	b = b[n+int(hl):]
	for _, cm := range f.meta.Containers {
		j, rest, err := read(b, maxSamples)
		if err != nil {
			return nil, fmt.Errorf("journal of container %s: %w", cm.Name, err)
		}
		f.journals[cm.Name], b = j, rest
	}
	return f, nil
}

// journalFileFromV1 converts a version 1 checkpoint.
func journalFileFromV1(ck *Checkpoint, maxSamples int) *journalFile {
	f := &journalFile{meta: checkpointMeta{Recommender: ck.Recommender, VPA: ck.VPA, UID: ck.UID, Written: ck.Written,
		Seen: ck.Seen, OOMSeen: ck.OOMSeen}, journals: map[string]*journal{}}
	for _, name := range sortedKeys(ck.Containers) {
		cc := ck.Containers[name]
		f.meta.Containers = append(f.meta.Containers, containerMeta{Name: name, First: cc.First, Last: cc.Last, Total: cc.Total, OOMs: cc.OOMs})
		j := newJournal(maxSamples)
		for _, x := range cc.Samples {
			j.add(model.Sample{Time: time.Unix(0, cc.Start+int64(x[0])).UTC(), CPUMillicores: x[1], MemoryBytes: x[2]})
		}
		f.journals[name] = j
	}
	return f
}

// checkpoint expands the file into the readers' form.
func (f *journalFile) checkpoint() *Checkpoint {
	m := f.meta
	ck := &Checkpoint{Version: CheckpointVersion, Recommender: m.Recommender, VPA: m.VPA, UID: m.UID, Written: m.Written,
		Containers: map[string]ContainerCheckpoint{}, Seen: m.Seen, OOMSeen: m.OOMSeen}
	for _, cm := range m.Containers {
		cc := ContainerCheckpoint{First: cm.First, Last: cm.Last, Total: cm.Total, OOMs: cm.OOMs}
		if j := f.journals[cm.Name]; j != nil {
			cc.Samples = make([][3]float64, 0, j.Len())
			for smp := range j.All() {
				if len(cc.Samples) == 0 {
					cc.Start = smp.Time.UnixNano()
				}
				cc.Samples = append(cc.Samples, [3]float64{float64(smp.Time.UnixNano() - cc.Start), smp.CPUMillicores, smp.MemoryBytes})
			}
		}
		ck.Containers[cm.Name] = cc
	}
	return ck
}

// readJournalFile decodes a checkpoint ConfigMap of either version.
func readJournalFile(cm *corev1.ConfigMap, maxSamples int) (*journalFile, error) {
	if b, ok := cm.BinaryData[JournalKey]; ok {
		return decodeJournalFile(b, maxSamples)
	}
	if b, ok := cm.BinaryData[CheckpointKey]; ok {
		ck, err := DecodeCheckpoint(b)
		if err != nil {
			return nil, err
		}
		return journalFileFromV1(ck, maxSamples), nil
	}
	return nil, fmt.Errorf("no %s or %s in binaryData", JournalKey, CheckpointKey)
}

// EncodeJournal returns the binaryData[JournalKey] bytes of a checkpoint
// given in the readers' form (version 2; ck.Version is ignored).
func EncodeJournal(ck *Checkpoint) ([]byte, error) {
	return journalFileFromV1(ck, math.MaxInt).encode()
}

// ReadCheckpoint decodes a checkpoint ConfigMap (version 1 or 2) into the
// readers' form.
func ReadCheckpoint(cm *corev1.ConfigMap) (*Checkpoint, error) {
	if b, ok := cm.BinaryData[JournalKey]; ok {
		f, err := decodeJournalFile(b, math.MaxInt)
		if err != nil {
			return nil, err
		}
		return f.checkpoint(), nil
	}
	if b, ok := cm.BinaryData[CheckpointKey]; ok {
		return DecodeCheckpoint(b)
	}
	return nil, fmt.Errorf("no %s or %s in binaryData", JournalKey, CheckpointKey)
}

// merge writes the VPA's current header into f and appends each container's
// samples fed since the last write; containers no longer in the state leave
// the file.
func (f *journalFile) merge(meta checkpointMeta, fresh map[string][]taggedSample, maxSamples int) {
	old := f.journals
	f.meta = meta
	f.journals = map[string]*journal{}
	for _, cm := range meta.Containers {
		j := old[cm.Name]
		if j == nil {
			j = newJournal(maxSamples)
		}
		j.max = maxSamples
		for _, ts := range fresh[cm.Name] {
			j.addTagged(ts.tag, ts.smp)
		}
		j.trim()
		f.journals[cm.Name] = j
	}
}

// fit drops the oldest chunks of the longest journals until the file
// encodes within limit bytes, and returns the encoding.
func (f *journalFile) fit(limit int) ([]byte, error) {
	for {
		b, err := f.encode()
		if err != nil || len(b) <= limit {
			return b, err
		}
		var longest *journal
		for _, j := range f.journals {
			if len(j.chunks) > 1 && (longest == nil || j.bytes() > longest.bytes()) {
				longest = j
			}
		}
		if longest == nil {
			return nil, fmt.Errorf("checkpoint is %d bytes even with one chunk per container (limit %d)", len(b), limit)
		}
		longest.n -= longest.chunks[0].n
		longest.chunks = longest.chunks[1:]
	}
}

// EncodeCheckpoint returns the gzip of the checkpoint's JSON (version 1).
func EncodeCheckpoint(ck *Checkpoint) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(ck); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeCheckpoint reads what EncodeCheckpoint wrote (version 1).
func DecodeCheckpoint(data []byte) (*Checkpoint, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("checkpoint is not gzip: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var ck Checkpoint
	if err := json.Unmarshal(raw, &ck); err != nil {
		return nil, fmt.Errorf("checkpoint JSON: %w", err)
	}
	if ck.Version != 1 {
		return nil, fmt.Errorf("checkpoint version %d is not supported in %s (this serve reads versions 1 to %d)", ck.Version, CheckpointKey, CheckpointVersion)
	}
	return &ck, nil
}
