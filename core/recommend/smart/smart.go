// Package smart is smartvpa's default recommender: per container, a planner
// that forecasts the distribution of the usage over the coming horizon and
// requests the quantile a risk profile states, under the same actuation rules
// the updater applies (an answer stays in force until the next update, at
// least the update budget later; memory decreases restart the container).
//
// Horizon. recommend.Config.UpdateInterval (the updater's
// --min-update-interval) or MinHorizon, whichever is longer: a request must
// serve that long.
//
// CPU. Usage is kept in 5-minute bins over CPUDays days. Every PlanEvery,
// each forecaster gives a point forecast for the horizon (last hour's mean or
// peak, the same hours of past days, the last hour's mean with the daily
// shape, high quantiles of the last day, week or same hours, and optionally
// other recommenders' targets). Each forecaster keeps a decaying histogram
// of its conformal scores log(usage / point), scored against every plan of
// the last horizon (a plan stays in force up to a horizon after the updater
// applies it, and when it does is the updater's choice). Its request is the
// point times the level of its scores that minimises slack (in units of the
// container's mean usage) plus the profile's weight times the share of time
// above the request, with that share capped at CPUMaxShareFactor times the
// profile's CPUShortfall: one weight for every container (scaled by (1 core /
// the container's mean usage, at most 1 core / CPUWeightSizeFloor) to the
// power CPUWeightSizeExponent) spends the risk where it saves the most slack.
// With CPUShareRate, each container's weight is calibrated online (adaptive
// conformal inference): a container whose share above the target stays
// below the profile's is lent risk, its weight lowered down to
// 1/CPUShareRange of the fleet's, so that the stated share holds on
// containers (and fleets) steadier than the training fleet, and with
// CPUShareCeiling one whose share stays above the profile's has it raised,
// up to that many times the fleet's (a fleet riskier than the training
// one); with CPUShareBurst a run of samples above within one plan counts
// once.
// With CPUShadowFrom, the forecasters plan and score in the shadow of the
// warm-up from that much history on, so that their costs are ready when it
// ends.
// The weights, the exponent and the floor are set by the sweep in train so
// that the training workloads' mean share above is the profile's at the
// least slack; the calibration and the shadow are kept when they lower the
// slack with every profile's share still held. No request goes above CPUPeakCap times the
// peak of the CPU history (a point times its factor can reach 20 times the
// peak on a series that switches between idle and busy). smart follows the
// forecaster whose plans have had the least decayed cost (the same slack +
// weight x above, each sample scored against every plan of the last
// horizon, as the scores are) on this container. lower is the target
// within CPULowBand (a request below it is under-provisioned), upper the
// (1 - shortfall/4) quantile of the scores (above it, the request wastes
// what even a 4x stricter profile would not need), capped alike.
//
// Memory. Hourly peaks over MemoryDays. Several memory plans run in the
// shadow, one per window of MemoryWindows (a day, three days, eight days):
// once an hour each plan's target is the peak (or MemoryQuantile of the
// hourly peaks) of its window, plus the growth of the last day carried over
// the horizon when MemoryTrend, plus the margin; it rises at once and falls
// only when the new value is MemoryHysteresis below it, MemoryDecreaseGap
// after its last decrease and OOMHold after the last OOM kill, as the real
// request does, because a decrease restarts the container. Each plan is
// charged, decayed with MemoryCostHalfLife, its hourly slack above the hour's
// peak, the profile's price of an OOM kill (OOMCosts) for each hour whose
// peak went above it, and RestartCostShare of that price per decrease, all in
// hours of the container's whole size (its largest hourly peak): smart follows
// the plan that has cost least on this container, so a series whose spikes are
// rare and large follows a short window, a steady or stepping one a long one.
// With MemoryDecreaseStep, a decrease of the target goes at most to that
// fraction of it (the shadow plans are not limited: each measures its
// window).
// An OOM kill raises the target at once, to the least of the plans' targets
// above the kill's request x OOMBump when OOMToPlan (the container has needed
// that before), else x OOMBump; kills within the hour at higher requests
// multiply it by OOMStreakFactor, its square, its cube (by OOMStreakFactor
// each time with OOMStreakConstant, or OOMStreakConstantLong at long
// horizons), and a crash loop at a
// request that does not move (held during warm-up) starts at the power
// OOMLoopStreak (the square by default), at horizons of LongHorizon or more
// their long-horizon values when set (the overshoot is then held for the
// whole budget); the target never goes below what a kill of the last hour showed (the observed
// usage is cut at the limit), and that need (the request x OOMBump, at least
// 100 MiB more) counts as the hour's peak, so every plan keeps it for its
// window. A target a bump set (not a plan's level OOMToPlan went to) falls
// back with the smaller OOMTrimHysteresis once OOMTrimHold has passed, whenever
// the last decrease was: the peaks since, no longer cut at the limit, show
// how much of a streak's escalation was needed. With OOMMarginStep, a kill that surprised the
// plan in force raises the margin (log scale), which falls back to the
// profile's at its OOMsPerMonth. lower is the target within MemoryLowBand (a
// request below it is under-provisioned: the updater raises it whatever its
// 10 % rule says), upper the target plus the hysteresis.
//
// Warm-up: until MinHistory of samples has been seen, smart answers with
// vpa's CPU recommendation and says so in Explain, or, with ColdStart (a
// prior learned from the training fleet, see ColdStart) and an hour of
// history, with the CPU peak so far times the prior's factor for its
// burstiness class, profile, history and horizon until the last plan
// period of the warm-up (vpa again then: see ColdStart); vpa is dropped
// after. Its
// memory answer is its own from the first hour (the peak so far plus the
// margin, at least what a kill of the last hour showed), so that leaving
// warm-up does not restart the container a second time. With CPUShadowFrom
// its CPU forecasters plan and score in the shadow from that much history
// on.
package smart

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/smartvpa/smartvpa/core/recommend"
	"github.com/smartvpa/smartvpa/core/recommend/modelfile"
	_ "github.com/smartvpa/smartvpa/core/recommend/vpa" // the warm-up recommender
)

// Name is the registry name.
const Name = "smart"

// LongHorizon is the planning horizon (the update budget) from which the
// OOM escalation of long horizons applies (Options.OOMStreakFactorLong,
// OOMLoopStreakLong): budgets of 12 h and 24 h, not 1 h.
const LongHorizon = 6 * time.Hour

// WarmupRecommender is the recommender used until MinHistory.
const WarmupRecommender = "vpa"

// Options configure smart; they are what its model file holds.
type Options struct {
	// Profile is the risk profile (see Profiles); recommend.Config.Profile
	// overrides it.
	Profile string `json:"profile"`
	// Candidates are registered recommenders whose CPU targets are extra
	// forecasters (run in the shadow, CPU only).
	Candidates []string `json:"candidates,omitempty"`
	// MinHistory is the history needed before smart leaves vpa.
	MinHistory time.Duration `json:"minHistory"`
	// MinHorizon is the shortest planning horizon (with no update budget).
	MinHorizon time.Duration `json:"minHorizon"`
	// PlanEvery is how often the CPU plan is revised.
	PlanEvery time.Duration `json:"planEvery"`
	// CPUDays is the CPU history kept, in days (5-minute bins).
	CPUDays int `json:"cpuDays"`
	// LossHalfLife is the half-life of the forecasters' pinball loss and of
	// the container's mean usage; ScoreHalfLife that of their scores.
	LossHalfLife  time.Duration `json:"lossHalfLife"`
	ScoreHalfLife time.Duration `json:"scoreHalfLife"`
	// CPUBand is the least relative width of [target, upper]; CPULowBand
	// that of [lower, target].
	CPUBand    float64 `json:"cpuBand"`
	CPULowBand float64 `json:"cpuLowBand"`
	// OverrunWeights is, per profile, the weight of a sample with CPU
	// usage above the request against slack in units of the container's
	// mean usage: the CPU request minimises slack + weight x share above.
	// The sweep in train sets each so that the training workloads' mean
	// share above is at most the profile's CPUShortfall.
	OverrunWeights map[string]float64 `json:"overrunWeights"`
	// CPUWeightSizeExponent scales the weight of a container by (1 core /
	// its mean usage) to this power (0: one weight for every container).
	CPUWeightSizeExponent float64 `json:"cpuWeightSizeExponent,omitempty"`
	// CPUWeightSizeFloor (millicores): a container whose mean usage is
	// below it is weighed as one of this size, so that the scaling does not
	// make the smallest containers' requests near their peaks (their slack
	// is few core-hours, but each one's ratio to another recommender's
	// counts as much as a large one's; 0: 1m).
	CPUWeightSizeFloor float64 `json:"cpuWeightSizeFloor,omitempty"`
	// CPUMaxShareFactor caps any one container's share above the request
	// at this multiple of the profile's CPUShortfall.
	CPUMaxShareFactor float64 `json:"cpuMaxShareFactor"`
	// CPUShadowFrom, when positive, is the history after which the CPU
	// forecasters start planning and scoring in the shadow of the warm-up
	// (their plans are followed only after MinHistory), so that smart does
	// not take over with forecasters that have scored an hour or two (0:
	// planning starts at MinHistory).
	CPUShadowFrom time.Duration `json:"cpuShadowFrom,omitempty"`
	// CPUShareRate, when positive, calibrates each container's weight of
	// time above the request online towards the profile's CPUShortfall
	// (adaptive conformal inference on the weight): after each sample
	// scored against smart's own CPU target (a forecaster's level at the
	// weight: not the day's peak smart starts from, and in the shadow of
	// the warm-up when CPUShadowFrom), the log of the container's
	// multiplier moves by CPUShareRate x (the sample's span in days, at
	// most an hour's) x (above - shortfall) / shortfall, where above is 1
	// when the usage was above that target, so that it settles where the
	// container's share above is the profile's. Without CPUShareCeiling it
	// only lowers the weight: one weight for a fleet spends the risk where it saves most
	// slack on the training fleet, and leaves a container whose usage is
	// steadier than the fleet's (or a fleet of them) far below the stated
	// share; the calibration lends it risk up to that share, and a
	// container above it is left to CPUMaxShareFactor (or, with
	// CPUShareCeiling, is calibrated up too). CPUShareRange bounds
	// the multiplier below at 1/CPUShareRange (0: 1/4).
	CPUShareRate  float64 `json:"cpuShareRate,omitempty"`
	CPUShareRange float64 `json:"cpuShareRange,omitempty"`
	// CPUShareBurst counts a run of samples above the target within one
	// plan (PlanEvery) as one for the calibration: misses come in bursts
	// (a step or a spike lasts several samples), and each would raise the
	// multiplier by CPUShareRate x the sample's span x (1 - shortfall) /
	// shortfall (0.68 at rate 3 for 5 min at 1.5 %), so a bursty container
	// sat at the fleet's weight whatever its share over the days. The
	// per-container cap (CPUMaxShareFactor) still bounds its share.
	CPUShareBurst bool `json:"cpuShareBurst,omitempty"`
	// CPUShareCeiling, above 1, lets the calibration raise a container's
	// weight too, up to CPUShareCeiling x the fleet's, while its share
	// above stays over the profile's: the weight is trained on one fleet,
	// and on a fleet riskier than that one (burstier series) the stated
	// share would not hold with the calibration only lending risk (0 or
	// 1: it only lowers the weight). Stated (4), not swept: on the training
	// fleet the weight is fit to, raising costs slack and the sweep would
	// drop it; across families (leave one family out) it brought the share
	// of a family its weight was not trained on towards the profile's.
	CPUShareCeiling float64 `json:"cpuShareCeiling,omitempty"`
	// CPUPeakCap, when positive, caps the CPU target (and upper) at this
	// multiple of the peak of the CPU history (CPUDays): a request above
	// the most the container has used serves nothing (0: no cap).
	CPUPeakCap float64 `json:"cpuPeakCap,omitempty"`
	// MemoryDays is the memory history kept (hourly peaks), in days.
	MemoryDays int `json:"memoryDays"`
	// MemoryWindow is the window of hourly peaks the memory target covers;
	// MemoryQuantile, when in (0, 1), takes that quantile of them instead
	// of the peak; MemoryTrend adds the last day's growth over the horizon.
	MemoryWindow   time.Duration `json:"memoryWindow"`
	MemoryQuantile float64       `json:"memoryQuantile,omitempty"`
	MemoryTrend    bool          `json:"memoryTrend"`
	// TrendHours caps the hours the growth is carried over, unless the
	// growth is steady: when TrendSteadyFit is positive and a straight line
	// explains at least that share of the variance of the last day's
	// hourly peaks (R^2), as a leak's or a heap's growth, its slope is
	// carried over the whole horizon (under a long update budget a capped
	// carry is a kill per budget; a step or a daily ramp is no line).
	TrendHours     float64 `json:"trendHours"`
	TrendSteadyFit float64 `json:"trendSteadyFit,omitempty"`
	// MemoryHysteresis, MemoryDecreaseGap and OOMHold gate decreases.
	MemoryHysteresis  float64       `json:"memoryHysteresis"`
	MemoryDecreaseGap time.Duration `json:"memoryDecreaseGap"`
	OOMHold           time.Duration `json:"oomHold"`
	// OOMMarginStep is the growth of the log memory margin per surprising
	// OOM kill.
	OOMMarginStep float64 `json:"oomMarginStep"`
	// OOMBump is the factor an OOM kill raises the request by; a kill
	// within the hour of the last one at a higher request raises it by
	// OOMStreakFactor, then its square, then its cube (the last bump was too
	// small). Zero values are the defaults 1.2 and 2.
	OOMBump         float64 `json:"oomBump,omitempty"`
	OOMStreakFactor float64 `json:"oomStreakFactor,omitempty"`
	// OOMLoopStreak is the power of OOMStreakFactor a crash loop at a
	// request that does not move (held during warm-up: its usage reads the
	// limit, so the need is unknown) bumps the request by: 2 (the square),
	// or 3 (the cube: fewer kills after a default request far below the
	// need, a larger overshoot to fall back from). 0: the default 2.
	OOMLoopStreak int `json:"oomLoopStreak,omitempty"`
	// OOMStreakFactorLong and OOMLoopStreakLong replace OOMStreakFactor and
	// OOMLoopStreak at horizons of LongHorizon or more: under such an
	// update budget a bump's overshoot is held for the whole budget (a
	// decrease waits for it; only a kill's increase passes it), so a kill
	// saved by a larger bump costs more memory than at an hourly budget.
	// 0: the same as at short horizons.
	OOMStreakFactorLong float64 `json:"oomStreakFactorLong,omitempty"`
	OOMLoopStreakLong   int     `json:"oomLoopStreakLong,omitempty"`
	// OOMStreakConstant makes a streak a geometric search: each kill in
	// quick succession at a higher request multiplies it by
	// OOMStreakFactor, not by its square and then its cube (the growing
	// powers end a streak in fewer kills and overshoot the need by up to
	// the last factor, 8 at the default: held for a whole update budget).
	OOMStreakConstant bool `json:"oomStreakConstant,omitempty"`
	// OOMStreakConstantLong makes a streak a geometric search at horizons
	// of LongHorizon or more only (as OOMStreakConstant there): under a
	// long budget the growing powers' overshoot is held for the whole
	// budget (x 8 after a crash loop's bump, for 12 h), while each kill's
	// increase passes the budget, so smaller steps cost a kill where the
	// larger ones cost that overshoot.
	OOMStreakConstantLong bool `json:"oomStreakConstantLong,omitempty"`
	// MemoryWindows, when set, are the windows of the memory plans smart
	// chooses from per container (MemoryWindow is then unused): each runs
	// in the shadow and smart follows the one of least decayed cost
	// (half-life MemoryCostHalfLife): hourly slack, OOMCosts per hour whose
	// peak went above it, RestartCostShare x that per decrease, in hours
	// of the container's size (its largest hourly peak of MemoryDays).
	MemoryWindows      []time.Duration `json:"memoryWindows,omitempty"`
	MemoryCostHalfLife time.Duration   `json:"memoryCostHalfLife,omitempty"`
	// OOMCosts is, per profile, what an OOM kill costs in hours of the
	// container's whole size held idle.
	OOMCosts         map[string]float64 `json:"oomCosts,omitempty"`
	RestartCostShare float64            `json:"restartCostShare,omitempty"`
	// OOMToPlan makes an OOM kill raise the request at once to the least
	// target of the memory plans above the bump, when there is one.
	OOMToPlan bool `json:"oomToPlan,omitempty"`
	// OOMTrimHysteresis replaces MemoryHysteresis for a target an OOM
	// kill's bump set (no plan has set it since): once OOMHold has passed,
	// it falls to the plan's when that is this much below it, without
	// MemoryDecreaseGap (the peaks since the bump showed it was more than
	// needed; 0: the default 0.2).
	OOMTrimHysteresis float64 `json:"oomTrimHysteresis,omitempty"`
	// OOMTrimHold, when set, replaces OOMHold for that fall back: the time
	// after the last kill the peaks must have been seen uncut (each plan
	// keeps what one kill showed, the killed request x OOMBump, for its
	// window, so the fall back never goes below it; 0: OOMHold).
	OOMTrimHold time.Duration `json:"oomTrimHold,omitempty"`
	// MemoryDecreaseStep, when in (0, 1), is the least fraction of the
	// current target a plan's decrease goes to: the target comes down in
	// steps, one per MemoryDecreaseGap, not at once to a short window's
	// peak (a bump's fall back is not limited; 0: no limit).
	MemoryDecreaseStep float64 `json:"memoryDecreaseStep,omitempty"`
	// ColdStart, when set, is the fleet's prior smart answers with while
	// it has seen a container for less than MinHistory (see ColdStart);
	// without it, the warm-up recommender answers for CPU.
	ColdStart *ColdStart `json:"coldStart,omitempty"`
	// MemoryLowBand is the relative width of [lower, target] for memory:
	// a request below lower is under-provisioned, and the updater raises
	// it whatever its 10 % rule says (0: the default, 0.02).
	MemoryLowBand float64 `json:"memoryLowBand,omitempty"`
}

// DefaultOptions are smart's built-in defaults (the default model file, when
// registered, takes precedence).
func DefaultOptions() Options {
	return Options{
		Profile:            DefaultProfile,
		MinHistory:         24 * time.Hour,
		MinHorizon:         time.Hour,
		PlanEvery:          time.Hour,
		CPUDays:            7,
		LossHalfLife:       48 * time.Hour,
		ScoreHalfLife:      72 * time.Hour,
		CPUBand:            0.1,
		CPULowBand:         0.02,
		OverrunWeights:     map[string]float64{"reliability": 256, "balanced": 64, "savings": 4},
		CPUMaxShareFactor:  3,
		CPUShareCeiling:    4,
		CPUPeakCap:         1.1,
		MemoryDays:         8,
		MemoryWindow:       24 * time.Hour,
		MemoryTrend:        true,
		TrendHours:         4,
		TrendSteadyFit:     0.9,
		MemoryHysteresis:   0.5,
		MemoryDecreaseGap:  72 * time.Hour,
		OOMHold:            6 * time.Hour,
		OOMMarginStep:      0,
		OOMBump:            1.2,
		OOMStreakFactor:    2,
		OOMLoopStreak:      2,
		MemoryWindows:      []time.Duration{24 * time.Hour, 72 * time.Hour, 192 * time.Hour},
		MemoryCostHalfLife: 7 * 24 * time.Hour,
		OOMCosts:           map[string]float64{"reliability": 48, "balanced": 12, "savings": 3},
		RestartCostShare:   0.25,
		OOMToPlan:          true,
		MemoryLowBand:      0.02,
		OOMTrimHysteresis:  0.2,
		MemoryDecreaseStep: 0.5,
		OOMTrimHold:        2 * time.Hour,
	}
}

// TrimHold is how long after the last OOM kill a bump may fall back:
// OOMTrimHold, else OOMHold.
func (o Options) TrimHold() time.Duration {
	if o.OOMTrimHold > 0 {
		return o.OOMTrimHold
	}
	return o.OOMHold
}

// LoadOptions returns the options of the model file at path, of the default
// model when path is empty and one is registered, else DefaultOptions.
func LoadOptions(path string) (Options, error) {
	f, err := modelfile.Resolve(path, Name)
	if err != nil || f == nil {
		return DefaultOptions(), err
	}
	var o Options
	if err := f.DecodeParams(&o); err != nil {
		return Options{}, err
	}
	c := f.Check()
	o.Check(c)
	if err := c.Err(); err != nil {
		return Options{}, err
	}
	return o, nil
}

// KnownCandidates are the recommenders of the project smart can take as
// forecasters, by registry name. A candidate of a model file must be one of
// them (a typo is refused); one that is not linked into the program is
// refused when smart is created.
var KnownCandidates = []string{"vpa", "forecast", "holt-winters", "ar", "autopilot", "autopilot-window", "lstm", "bandit"}

// Check range-checks o (the fields of a model file's "params").
func (o Options) Check(c *modelfile.Checker) {
	if _, err := ProfileByName(o.Profile); err != nil {
		c.Fail("profile", fmt.Sprintf("is %q, not a profile (%s)", o.Profile, strings.Join(ProfileNames(), ", ")))
	}
	c.Len("candidates", len(o.Candidates), 0, len(KnownCandidates))
	for i, n := range o.Candidates {
		if !slices.Contains(KnownCandidates, n) {
			c.Fail(fmt.Sprintf("candidates[%d]", i), fmt.Sprintf("is %q, not a recommender smart can follow (%s)", n, strings.Join(KnownCandidates, ", ")))
		}
	}
	const year = 365 * 24 * time.Hour
	c.Duration("minHistory", o.MinHistory, 0, year)
	c.Duration("minHorizon", o.MinHorizon, binWidth, 30*24*time.Hour)
	c.Duration("planEvery", o.PlanEvery, binWidth, 30*24*time.Hour)
	c.Int("cpuDays", o.CPUDays, 1, 28)
	c.Duration("lossHalfLife", o.LossHalfLife, time.Minute, 10*year)
	c.Duration("scoreHalfLife", o.ScoreHalfLife, time.Minute, 10*year)
	c.Float("cpuBand", o.CPUBand, 0, 10)
	c.Float("cpuLowBand", o.CPULowBand, 0, 10)
	for _, pr := range Profiles {
		w, ok := o.OverrunWeights[pr.Name]
		if !ok {
			c.Fail("overrunWeights", fmt.Sprintf("has no weight for profile %s", pr.Name))
			continue
		}
		c.Float("overrunWeights."+pr.Name, w, 0, 1e6)
	}
	for name := range o.OverrunWeights {
		if _, err := ProfileByName(name); err != nil {
			c.Fail("overrunWeights", fmt.Sprintf("names %q, not a profile (%s)", name, strings.Join(ProfileNames(), ", ")))
		}
	}
	c.Float("cpuWeightSizeExponent", o.CPUWeightSizeExponent, 0, 2)
	c.Float("cpuWeightSizeFloor", o.CPUWeightSizeFloor, 0, 1e6)
	c.Float("cpuMaxShareFactor", o.CPUMaxShareFactor, 1, 100)
	c.Duration("cpuShadowFrom", o.CPUShadowFrom, 0, year)
	c.Float("cpuShareRate", o.CPUShareRate, 0, 100)
	if o.CPUShareRange != 0 {
		c.Float("cpuShareRange", o.CPUShareRange, 1, 1000)
	}
	if o.CPUShareCeiling != 0 {
		c.Float("cpuShareCeiling", o.CPUShareCeiling, 1, 1000)
	}
	if o.CPUPeakCap != 0 {
		c.Float("cpuPeakCap", o.CPUPeakCap, 1, 100)
	}
	c.Int("memoryDays", o.MemoryDays, 1, 60)
	c.Duration("memoryWindow", o.MemoryWindow, time.Hour, time.Duration(max(o.MemoryDays, 1))*24*time.Hour)
	c.Float("memoryQuantile", o.MemoryQuantile, 0, 1)
	c.Float("trendHours", o.TrendHours, 0, 24*30)
	c.Float("trendSteadyFit", o.TrendSteadyFit, 0, 1)
	c.Float("memoryHysteresis", o.MemoryHysteresis, 0, 10)
	c.Duration("memoryDecreaseGap", o.MemoryDecreaseGap, 0, year)
	c.Duration("oomHold", o.OOMHold, 0, year)
	c.Float("oomMarginStep", o.OOMMarginStep, 0, 5)
	c.Durations("memoryWindows", o.MemoryWindows, 0, 8, time.Hour, time.Duration(max(o.MemoryDays, 1))*24*time.Hour)
	if o.MemoryCostHalfLife != 0 {
		c.Duration("memoryCostHalfLife", o.MemoryCostHalfLife, time.Hour, year)
	}
	for name, v := range o.OOMCosts {
		if _, err := ProfileByName(name); err != nil {
			c.Fail("oomCosts", fmt.Sprintf("names %q, not a profile (%s)", name, strings.Join(ProfileNames(), ", ")))
			continue
		}
		c.Float("oomCosts."+name, v, 0, 1e6)
	}
	if o.OOMCosts != nil {
		for _, pr := range Profiles {
			if _, ok := o.OOMCosts[pr.Name]; !ok {
				c.Fail("oomCosts", fmt.Sprintf("has no cost for profile %s", pr.Name))
			}
		}
	}
	c.Float("restartCostShare", o.RestartCostShare, 0, 100)
	c.Float("memoryLowBand", o.MemoryLowBand, 0, 10)
	if o.OOMBump != 0 {
		c.Float("oomBump", o.OOMBump, 1.01, 10)
	}
	if o.OOMStreakFactor != 0 {
		c.Float("oomStreakFactor", o.OOMStreakFactor, 1.01, 10)
	}
	if o.OOMLoopStreak != 0 {
		c.Int("oomLoopStreak", o.OOMLoopStreak, 1, 3)
	}
	if o.OOMStreakFactorLong != 0 {
		c.Float("oomStreakFactorLong", o.OOMStreakFactorLong, 1.01, 10)
	}
	if o.OOMLoopStreakLong != 0 {
		c.Int("oomLoopStreakLong", o.OOMLoopStreakLong, 1, 3)
	}
	c.Float("oomTrimHysteresis", o.OOMTrimHysteresis, 0, 10)
	c.Duration("oomTrimHold", o.OOMTrimHold, 0, year)
	c.Float("memoryDecreaseStep", o.MemoryDecreaseStep, 0, 0.99)
	if o.ColdStart != nil {
		o.ColdStart.check(c, o.MinHistory)
	}
}

func init() {
	recommend.RegisterProfiled(Name)
	recommend.Register(Name, func(cfg recommend.Config) (recommend.Recommender, error) {
		o, err := LoadOptions(cfg.ModelFile)
		if err != nil {
			return nil, err
		}
		return New(o, cfg)
	})
}
