package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/smartvpa/smartvpa/core/recommend/smart"
)

// profileHelp describes smart's risk profiles from their definitions.
func profileHelp() string {
	var parts []string
	for _, p := range smart.Profiles {
		parts = append(parts, fmt.Sprintf("%s (CPU above the request about %g %% of the time over a fleet, memory margin %g %%)", p.Name, 100*p.CPUShortfall, 100*p.MemoryMargin))
	}
	return "risk profile for recommenders that plan for one (smart): " + strings.Join(parts, ", ") + "; default " + smart.DefaultProfile
}

// addProfileFlag adds --profile for the offline commands (simulate,
// backtest, emulate), which pass it to the recommenders that take one.
func addProfileFlag(f *pflag.FlagSet, p *string) {
	f.StringVar(p, "profile", "", profileHelp())
}

// checkProfile reports an unknown profile as a usage error ("" is the
// recommender's default).
func checkProfile(cmdPath, p string) error {
	if p == "" {
		return nil
	}
	if _, err := smart.ProfileByName(p); err != nil {
		return usageErrorf(cmdPath, "invalid --profile: %s", err.Error())
	}
	return nil
}
