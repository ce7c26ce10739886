package jobs

// StorageGate learns of writes that storage refused (a
// *storagegate.Gate): Observe returns true when err is such a refusal,
// which the gate reports (one ERROR a minute) and acts on (jobd stops
// taking new work until storage takes writes again).
type StorageGate interface {
	Observe(err error) bool
}

// refused tells the storage gate of a failed write; true when storage
// refused it.
func (r *Manager) refused(err error) bool {
	return r.o.Storage != nil && r.o.Storage.Observe(err)
}
