package autopilot

import "github.com/smartvpa/smartvpa/core/recommend/modelfile"

// LoadOptions returns the ML options from the model file at path, the default
// model's when path is empty and one is registered, else DefaultMLOptions.
func LoadOptions(path string) (MLOptions, error) {
	f, err := modelfile.Resolve(path, "autopilot")
	if err != nil || f == nil {
		return DefaultMLOptions(), err
	}
	var o MLOptions
	if err := f.DecodeParams(&o); err != nil {
		return MLOptions{}, err
	}
	return o, nil
}
