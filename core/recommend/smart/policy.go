package smart

import (
	"github.com/smartvpa/smartvpa/core/model"
	"github.com/smartvpa/smartvpa/core/recommend/forecast"
)

func applyPolicy(rec model.Recommendation, p model.ContainerPolicy) model.Recommendation {
	return forecast.ApplyPolicy(rec, p)
}

func policyCaps(rec model.Recommendation, p model.ContainerPolicy, res model.Resource) []string {
	return forecast.PolicyCaps(rec, p, res)
}
