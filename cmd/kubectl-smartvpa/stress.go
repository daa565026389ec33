package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

func (c *cli) newStressCmd() *cobra.Command {
	return group(&cobra.Command{
		Use:   "stress",
		Short: "Produce a workload's CPU and memory for real: utilisation server, stress agent, local runs",
		Long: `The stress system makes real processes consume a workload's CPU and memory, so a
recommender can be tried under known, replayable load.

The utilisation server (stress server) holds workloads and tells each
registered stress pod what to use; the stress agent (stress agent) burns CPU
and holds memory accordingly and reports what it measured; stress local runs
both on this machine without a cluster. The HTTP API is in docs/stress-api.md.`,
		Example: `  kubectl smartvpa stress local --workload step-3f2a --agents 2 --speedup 3600 --duration 1m
  kubectl smartvpa stress server --store data/workloads --interval 5s
  kubectl smartvpa stress agent --server http://127.0.0.1:8090 --pod stress-0`,
	},
		c.newStressAgentCmd(),
		c.newStressDeleteCmd(),
		c.newStressLocalCmd(),
		c.newStressRunCmd(),
		c.newStressServerCmd(),
	)
}

// stressTokenEnv is the environment variable holding the bearer token when
// neither --token nor --token-file is given.
const stressTokenEnv = "SMARTVPA_STRESS_TOKEN"

// stressToken resolves the bearer token from --token, --token-file or the
// environment.
func stressToken(cmdPath, token, file string) (string, error) {
	if token != "" && file != "" {
		return "", usageErrorf(cmdPath, "give --token or --token-file, not both")
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", inputError(fmt.Errorf("token file: %w: give a readable file holding the token", err))
		}
		token = strings.TrimSpace(string(b))
		if token == "" {
			return "", inputError(fmt.Errorf("token file %s is empty: put the token in it", file))
		}
	}
	if token == "" {
		token = os.Getenv(stressTokenEnv)
	}
	return token, nil
}
