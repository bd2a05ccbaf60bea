package questionnaire

import "testing"

func ptr[T any](v T) *T { return &v }

func TestTallyCountsEveryKind(t *testing.T) {
	qs, err := Prepare([]Question{
		{Kind: SingleChoice, Text: "Yksi", Choices: []string{"a", "b"}, Required: true},
		{Kind: MultipleChoice, Text: "Monta", Choices: []string{"x", "y", "z"}},
		{Kind: Scale, Text: "Asteikko"},
		{Kind: FreeText, Text: "Vapaa"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if qs[0].Key != "q1" || qs[3].Key != "q4" {
		t.Fatalf("keys %q … %q", qs[0].Key, qs[3].Key)
	}
	responses := [][]Answer{
		{{QuestionKey: "q1", Choices: []int{0}}, {QuestionKey: "q2", Choices: []int{0, 2}}, {QuestionKey: "q3", Scale: ptr(5)}},
		{{QuestionKey: "q1", Choices: []int{1}}, {QuestionKey: "q3", Scale: ptr(2)}, {QuestionKey: "q4", Text: ptr(" ok ")}},
	}
	for _, r := range responses {
		if _, err := Check(qs, r); err != nil {
			t.Fatalf("valid answers refused: %v", err)
		}
	}
	got := Tally(qs, responses)
	if got.Responses != 2 {
		t.Errorf("responses %d", got.Responses)
	}
	if c := got.Questions[0].Choices; c[0].Count != 1 || c[1].Count != 1 {
		t.Errorf("single choice %+v", c)
	}
	if c := got.Questions[1].Choices; c[0].Count != 1 || c[1].Count != 0 || c[2].Count != 1 || got.Questions[1].Answers != 1 {
		t.Errorf("multiple choice %+v", got.Questions[1])
	}
	if s := got.Questions[2]; *s.Average != 3.5 || s.Distribution[1].Count != 1 || s.Distribution[4].Count != 1 || s.Distribution[0].Value != 1 {
		t.Errorf("scale %+v", s)
	}
	if tx := got.Questions[3].Texts; len(tx) != 1 || tx[0] != "ok" {
		t.Errorf("texts %q", tx)
	}
}

func TestCheckRefusesWrongShapes(t *testing.T) {
	qs, _ := Prepare([]Question{{Kind: Scale, Text: "?", Required: true}, {Kind: MultipleChoice, Text: "?", Choices: []string{"a", "b"}}})
	for name, answers := range map[string][]Answer{
		"nothing":        nil,
		"zero":           {{QuestionKey: "q1", Scale: ptr(0)}},
		"duplicate pick": {{QuestionKey: "q1", Scale: ptr(3)}, {QuestionKey: "q2", Choices: []int{1, 1}}},
		"no pick":        {{QuestionKey: "q1", Scale: ptr(3)}, {QuestionKey: "q2", Choices: []int{}}},
		"unknown":        {{QuestionKey: "q1", Scale: ptr(3)}, {QuestionKey: "q7", Scale: ptr(3)}},
	} {
		if _, err := Check(qs, answers); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestPrepareRefusesEqualChoices: two choices that read the same (after
// trimming) could not be told apart in the results.
func TestPrepareRefusesEqualChoices(t *testing.T) {
	for _, choices := range [][]string{{"a", "a"}, {"a", " a "}, {"kyllä", "ei", "kyllä"}} {
		if _, err := Prepare([]Question{{Kind: SingleChoice, Text: "?", Choices: choices}}); err == nil {
			t.Errorf("choices %q accepted", choices)
		}
	}
	if _, err := Prepare([]Question{{Kind: MultipleChoice, Text: "?", Choices: []string{"a", "A", "b"}}}); err != nil {
		t.Errorf("distinct choices refused: %v", err)
	}
}
