package cost

import (
	"kokeilu/internal/fault"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Exceeded is the error of a field whose work, known only once its input
// is loaded (a graph algorithm over the filtered graph), is over its limit.
// It carries the same code and extensions as a query refused up front.
func Exceeded(measure string, cost, limit int) *gqlerror.Error {
	err := gqlerror.Errorf("the request is too costly: %s %d, the limit is %d; narrow it (a period, a region, node types or the projection)", measure, cost, limit)
	err.Extensions = map[string]any{"code": fault.CostLimitExceeded, "measure": measure, "cost": cost, "limit": limit}
	return err
}
