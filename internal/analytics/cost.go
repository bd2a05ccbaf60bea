package analytics

// bucketBound is the most buckets each dimension is expected to give: the
// classification's size, or a generous figure for data that grows.
var bucketBound = map[Dimension]int{
	Region: 19, WellbeingCounty: 23, Subregion: 70, Municipality: 308,
	Theme: 100, Status: 4, Network: 300, StartYear: 40, ActiveYear: 40, CountyKind: 3,
}

// Cost is the estimated nodes of a pilotStats call for the cost limits
// (internal/cost): the buckets it can return, the product of the bounds
// of its dimensions. Region × theme × status costs 7,600; municipality ×
// network × active year (3.7 million) is refused.
func Cost(args map[string]any) int {
	dims, _ := args["groupBy"].([]any)
	n := 1
	for _, d := range dims {
		s, _ := d.(string)
		if b, ok := bucketBound[Dimension(s)]; ok {
			n *= b
		}
	}
	return n
}
