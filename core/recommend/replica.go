package recommend

import "github.com/smartvpa/smartvpa/core/model"

// ReplicaRecommender is implemented by recommenders that keep state per
// replica (pod) of the container they recommend for, as upstream VPA keeps
// one ContainerState per pod (its last samples and its memory peak in the
// current aggregation window) feeding one aggregate per container name.
//
// The caller numbers the live pods with small slots (0, 1, ...), reusing the
// slot of a pod that is gone for a new one: start says the sample or OOM
// kill is the first of a new pod in that slot, whose per-pod state then
// starts afresh. The samples of all slots together arrive in time order, as
// AddSample's do. AddSample and AddOOM are the samples of one pod of their
// own.
type ReplicaRecommender interface {
	Recommender
	AddReplicaSample(slot int, start bool, s model.Sample)
	AddReplicaOOM(slot int, start bool, e model.OOMEvent)
}

// AddReplicaSample feeds s as the sample of the pod in slot when r (or the
// recommender behind its Guard) keeps per-replica state, else as a plain
// sample.
func AddReplicaSample(r Recommender, slot int, start bool, s model.Sample) {
	if rr, ok := Unwrap(r).(ReplicaRecommender); ok {
		rr.AddReplicaSample(slot, start, s)
		return
	}
	r.AddSample(s)
}

// AddReplicaOOM records e as an OOM kill of the pod in slot when r (or the
// recommender behind its Guard) keeps per-replica state, else as a plain
// OOM kill.
func AddReplicaOOM(r Recommender, slot int, start bool, e model.OOMEvent) {
	if rr, ok := Unwrap(r).(ReplicaRecommender); ok {
		rr.AddReplicaOOM(slot, start, e)
		return
	}
	r.AddOOM(e)
}
