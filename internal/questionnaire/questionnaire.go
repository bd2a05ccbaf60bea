// Package questionnaire is the shape of a survey (kysely): its questions,
// the answers one respondent gives, the checks that an answer fits its
// question, and the tally of results. It knows nothing of storage or
// permissions, so ent can store its types as JSON and tests can check the
// arithmetic alone.
package questionnaire

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind is what sort of answer a question takes.
type Kind string

const (
	SingleChoice   Kind = "SINGLE_CHOICE"
	MultipleChoice Kind = "MULTIPLE_CHOICE"
	Scale          Kind = "SCALE"
	FreeText       Kind = "FREE_TEXT"
)

// ScaleMin and ScaleMax bound a SCALE answer (1–5, as on Innokylä).
const (
	ScaleMin = 1
	ScaleMax = 5
	// MaxTextLength bounds a free-text answer.
	MaxTextLength = 5000
	maxChoices    = 50
	maxQuestions  = 100
)

// Question is one question of a survey. Key is stable within the survey
// ("q1", "q2", …); answers name it.
type Question struct {
	Key      string   `json:"key"`
	Kind     Kind     `json:"kind"`
	Text     string   `json:"text"`
	Choices  []string `json:"choices,omitempty"`
	Required bool     `json:"required"`
}

// Answer is one respondent's answer to one question: choice indexes (from
// 0) for choice questions, a value for SCALE, text for FREE_TEXT.
type Answer struct {
	QuestionKey string  `json:"questionKey"`
	Choices     []int   `json:"choices,omitempty"`
	Scale       *int    `json:"scale,omitempty"`
	Text        *string `json:"text,omitempty"`
}

// InputError says which input field is wrong, and how.
type InputError struct {
	Field   string
	Message string
}

func (e *InputError) Error() string { return e.Message }

func bad(field, format string, args ...any) error {
	return &InputError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Prepare checks new questions and gives them their keys (q1, q2, …).
func Prepare(questions []Question) ([]Question, error) {
	if len(questions) == 0 {
		return nil, bad("questions", "a survey needs at least one question")
	}
	if len(questions) > maxQuestions {
		return nil, bad("questions", "a survey has at most %d questions", maxQuestions)
	}
	out := make([]Question, len(questions))
	for i, q := range questions {
		q.Key = "q" + strconv.Itoa(i+1)
		q.Text = strings.TrimSpace(q.Text)
		field := fmt.Sprintf("questions[%d]", i)
		if q.Text == "" || utf8.RuneCountInString(q.Text) > 1000 {
			return nil, bad(field, "%s needs a text of 1 to 1000 characters", field)
		}
		switch q.Kind {
		case SingleChoice, MultipleChoice:
			if len(q.Choices) < 2 || len(q.Choices) > maxChoices {
				return nil, bad(field, "%s needs 2 to %d choices", field, maxChoices)
			}
			seen := make(map[string]bool, len(q.Choices))
			for j, c := range q.Choices {
				q.Choices[j] = strings.TrimSpace(c)
				if q.Choices[j] == "" || utf8.RuneCountInString(c) > 500 {
					return nil, bad(field, "%s has an empty or too long choice", field)
				}
				// Two equal choices could not be told apart in the results.
				if seen[q.Choices[j]] {
					return nil, bad(field, "%s has the choice %q twice", field, q.Choices[j])
				}
				seen[q.Choices[j]] = true
			}
		case Scale, FreeText:
			if len(q.Choices) > 0 {
				return nil, bad(field, "%s is %s and takes no choices", field, q.Kind)
			}
		default:
			return nil, bad(field, "%s has an unknown kind %q", field, q.Kind)
		}
		out[i] = q
	}
	return out, nil
}

// Check tells whether answers fit the questions: every answer names a
// question once, has the shape of its kind, and every required question is
// answered. It returns the answers in question order.
func Check(questions []Question, answers []Answer) ([]Answer, error) {
	byID := make(map[string]Answer, len(answers))
	for _, a := range answers {
		if _, dup := byID[a.QuestionKey]; dup {
			return nil, bad("answers", "question %q is answered twice", a.QuestionKey)
		}
		byID[a.QuestionKey] = a
	}
	out := make([]Answer, 0, len(answers))
	for _, q := range questions {
		a, ok := byID[q.Key]
		if !ok {
			if q.Required {
				return nil, bad("answers", "question %q is required", q.Key)
			}
			continue
		}
		delete(byID, q.Key)
		if err := fits(q, a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	for id := range byID {
		return nil, bad("answers", "the survey has no question %q", id)
	}
	return out, nil
}

func fits(q Question, a Answer) error {
	wrong := func(what string) error {
		return bad("answers", "question %q (%s) takes %s", q.Key, q.Kind, what)
	}
	switch q.Kind {
	case SingleChoice, MultipleChoice:
		if a.Scale != nil || a.Text != nil {
			return wrong("choices only")
		}
		if q.Kind == SingleChoice && len(a.Choices) != 1 {
			return wrong("exactly one choice")
		}
		if len(a.Choices) == 0 {
			return wrong("at least one choice")
		}
		seen := map[int]bool{}
		for _, c := range a.Choices {
			if c < 0 || c >= len(q.Choices) || seen[c] {
				return wrong(fmt.Sprintf("distinct choices between 0 and %d", len(q.Choices)-1))
			}
			seen[c] = true
		}
	case Scale:
		if len(a.Choices) > 0 || a.Text != nil || a.Scale == nil || *a.Scale < ScaleMin || *a.Scale > ScaleMax {
			return wrong(fmt.Sprintf("a scale value from %d to %d", ScaleMin, ScaleMax))
		}
	case FreeText:
		if len(a.Choices) > 0 || a.Scale != nil || a.Text == nil {
			return wrong("text")
		}
		if t := strings.TrimSpace(*a.Text); t == "" || utf8.RuneCountInString(t) > MaxTextLength {
			return wrong(fmt.Sprintf("text of 1 to %d characters", MaxTextLength))
		}
	}
	return nil
}

// ChoiceCount is how many respondents picked one choice.
type ChoiceCount struct {
	Choice string `json:"choice"`
	Count  int    `json:"count"`
}

// ScaleCount is how many respondents gave one scale value.
type ScaleCount struct {
	Value int `json:"value"`
	Count int `json:"count"`
}

// Results are the tally of a survey's responses.
type Results struct {
	// Responses is how many respondents answered.
	Responses int
	Questions []Result
}

// Result is the tally of one question.
type Result struct {
	Question Question
	// Answers is how many respondents answered the question.
	Answers int
	// Choices counts each choice of a choice question, in order.
	Choices []ChoiceCount
	// Average and Distribution (counts of 1…5) of a SCALE question.
	Average      *float64
	Distribution []ScaleCount
	// Texts are the free-text answers, in the order responses came.
	Texts []string
}

// Tally counts the responses (each one respondent's checked answers).
func Tally(questions []Question, responses [][]Answer) Results {
	results := make([]Result, len(questions))
	index := map[string]int{}
	for i, q := range questions {
		index[q.Key] = i
		results[i].Question = q
		switch q.Kind {
		case SingleChoice, MultipleChoice:
			results[i].Choices = make([]ChoiceCount, len(q.Choices))
			for j, c := range q.Choices {
				results[i].Choices[j].Choice = c
			}
		case Scale:
			for v := ScaleMin; v <= ScaleMax; v++ {
				results[i].Distribution = append(results[i].Distribution, ScaleCount{Value: v})
			}
		case FreeText:
			results[i].Texts = []string{}
		}
	}
	for _, answers := range responses {
		for _, a := range answers {
			i, ok := index[a.QuestionKey]
			if !ok {
				continue // a question removed since; not counted
			}
			r := &results[i]
			r.Answers++
			for _, c := range a.Choices {
				if c >= 0 && c < len(r.Choices) {
					r.Choices[c].Count++
				}
			}
			if a.Scale != nil && *a.Scale >= ScaleMin && *a.Scale <= ScaleMax {
				r.Distribution[*a.Scale-ScaleMin].Count++
			}
			if a.Text != nil {
				r.Texts = append(r.Texts, strings.TrimSpace(*a.Text))
			}
		}
	}
	for i := range results {
		r := &results[i]
		if r.Question.Kind != Scale {
			continue
		}
		sum, n := 0, 0
		for _, d := range r.Distribution {
			sum += d.Value * d.Count
			n += d.Count
		}
		if n > 0 {
			avg := float64(sum) / float64(n)
			r.Average = &avg
		}
	}
	return Results{Responses: len(responses), Questions: results}
}

// Kinds lists the kinds, for the GraphQL enum.
var Kinds = []Kind{SingleChoice, MultipleChoice, Scale, FreeText}

// MarshalGQL writes the kind as a GraphQL enum value.
func (k Kind) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(k))) }

// UnmarshalGQL reads a GraphQL enum value.
func (k *Kind) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || !slices.Contains(Kinds, Kind(s)) {
		return fmt.Errorf("%v is not a SurveyQuestionKind", v)
	}
	*k = Kind(s)
	return nil
}
