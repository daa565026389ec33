// Package models embeds the default model files (models/*.json) into the
// binary and registers them with core/recommend/modelfile, so that the learned
// recommenders use them when no --model is given. `make models` rebuilds the
// files reproducibly from generated workloads and the training subsets of
// ../shared/traces (see hack/models.mk and docs/quality.md).
package models

import (
	"embed"
	"io/fs"
	"strings"

	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
)

//go:embed *.json
var files embed.FS

func init() {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		panic("models: " + err.Error())
	}
	for _, e := range entries {
		data, err := files.ReadFile(e.Name())
		if err != nil {
			panic("models: " + err.Error())
		}
		modelfile.SetDefault(strings.TrimSuffix(e.Name(), ".json"), data)
	}
}
