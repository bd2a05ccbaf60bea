package database

import "testing"

// TestWholeCount: only ent's count of a whole table becomes COUNT(*); a
// count with a condition, a join or another column is left as it is.
// TestEntCountsAWholeTableSo checks that ent still writes the first form.
func TestWholeCount(t *testing.T) {
	for query, want := range map[string]string{
		"SELECT COUNT(`pilots`.`id`) FROM `pilots`":                             "SELECT COUNT(*) FROM `pilots`",
		"SELECT COUNT(`search_documents`.`id`) FROM `search_documents`":         "SELECT COUNT(*) FROM `search_documents`",
		"SELECT COUNT(`pilots`.`id`) FROM `pilots` WHERE `pilots`.`status` = ?": "",
		"SELECT COUNT(DISTINCT `pilots`.`id`) FROM `pilots`":                    "",
		"SELECT COUNT(`pilots`.`id`) FROM `networks`":                           "",
		"SELECT COUNT(`pilots`.`title`) FROM `pilots`":                          "",
		"SELECT COUNT(`p`.`id`) FROM `p` JOIN `q` ON `q`.`id` = `p`.`id`":       "",
		"SELECT COUNT(`pilots`.`id`) FROM `pilots` AS `t1`":                     "",
		"SELECT COUNT(`a` `b`.`id`) FROM `a` `b`":                               "",
		"SELECT `pilots`.`id` FROM `pilots`":                                    "",
		"":                                                                      "",
	} {
		if want == "" {
			want = query
		}
		if got := wholeCount(query); got != want {
			t.Errorf("wholeCount(%q) = %q, want %q", query, got, want)
		}
	}
}
