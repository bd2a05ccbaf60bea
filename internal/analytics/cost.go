package analytics

import (
	"kokeilu/internal/input"
	"kokeilu/internal/scalar"
)

// years is the most year buckets: dates are accepted in the years
// scalar.MinYear–MaxYear, and ACTIVE_YEAR's series is cut to them.
const years = scalar.MaxYear - scalar.MinYear + 1

// bucketBound is the most buckets each dimension is expected to give: the
// classification's size, the span of accepted years, or a generous figure
// for data that grows.
var bucketBound = map[Dimension]int{
	Region: 19, WellbeingCounty: 23, Subregion: 70, Municipality: 308,
	Theme: 100, Status: 4, Network: 300, StartYear: years, ActiveYear: years, CountyKind: 3,
}

// Cost is the estimated nodes of a pilotStats call for the cost limits
// (internal/cost): the buckets it can return, the product of the bounds
// of its dimensions. Region × theme × status costs 7,600; municipality ×
// network × active year (18.6 million) is refused.
func Cost(args map[string]any) int {
	dims := input.List(args["groupBy"])
	if len(dims) > MaxDimensions {
		return 1 // refused before it runs, with BAD_USER_INPUT naming groupBy
	}
	n := 1
	for _, d := range dims {
		s, _ := d.(string)
		if b, ok := bucketBound[Dimension(s)]; ok {
			n *= b
		}
	}
	return n
}
