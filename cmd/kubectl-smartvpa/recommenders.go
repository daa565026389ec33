package main

// The recommenders the commands offer, registered by name in
// core/recommend's registry when their packages load, and the embedded
// default models of the learned ones. Every command sees the same set: list a
// new recommender family here, and only here.
import (
	_ "github.com/smartvpa/smartvpa/core/recommend/autopilot" // autopilot, autopilot-window
	_ "github.com/smartvpa/smartvpa/core/recommend/bandit"    // bandit
	_ "github.com/smartvpa/smartvpa/core/recommend/forecast"  // forecast, holt-winters, ar
	_ "github.com/smartvpa/smartvpa/core/recommend/lstm"      // lstm
	_ "github.com/smartvpa/smartvpa/core/recommend/smart"     // smart
	_ "github.com/smartvpa/smartvpa/core/recommend/vpa"       // vpa
	_ "github.com/smartvpa/smartvpa/models"                   // the embedded default models
)
