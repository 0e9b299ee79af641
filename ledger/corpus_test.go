package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// corpusFile is one group of a labelled deposit set in testdata/corpus or
// testdata/heldout (see testdata/corpus/README.md for the format).
type corpusFile struct {
	Group    json.RawMessage `json:"group"`
	Deposits []struct {
		Date    string   `json:"date"`
		Time    string   `json:"time"`
		Inout   string   `json:"inout"`
		Text    string   `json:"text"`
		Amount  int64    `json:"amount"`
		Belongs []string `json:"belongs"`
		Expect  string   `json:"expect"`
		Pattern string   `json:"pattern"`
		Note    string   `json:"note"`
	} `json:"deposits"`
}

// evaluation is what the matcher scored on a labelled set.
type evaluation struct {
	groups, deposits int
	belonging        int // deposits that are a member's money
	auto, correct    int // automatic matches, and the right ones among them
	ignoredMembers   int // a member's money ignored: never allowed
	// The hard cases alone: deposits not tagged "routine".
	hardBelonging, hardCorrect int
	// Disagreements with the careful treasurer's label.
	guessed, missed int
}

func (e evaluation) precision() float64 { return float64(e.correct) / float64(max(e.auto, 1)) }
func (e evaluation) coverage() float64  { return float64(e.correct) / float64(max(e.belonging, 1)) }

// evaluate runs the matcher over every group file in dir and logs each
// disagreement with the labels.
func evaluate(t *testing.T, dir string) evaluation {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files in testdata/%s: %v", dir, err)
	}
	var e evaluation
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cf corpusFile
		if err := json.Unmarshal(data, &cf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		def, err := ReadGroup(bytes.NewReader(cf.Group))
		if err != nil {
			t.Fatalf("%s: group: %v", f, err)
		}
		e.groups++
		m := NewMatcher(def.Group)
		name := filepath.Base(f)
		before := e
		for i, d := range cf.Deposits {
			e.deposits++
			at, err := time.ParseInLocation("2006-01-02150405", d.Date+d.Time, KST())
			if err != nil {
				t.Fatalf("%s deposit %d: %v", name, i, err)
			}
			dir := In
			if d.Inout == "출금" {
				dir = Out
			}
			got := m.Match(Deposit{At: at, Direction: dir, Text: d.Text, Amount: d.Amount})
			var members []string
			for _, s := range got.Shares {
				members = append(members, s.MemberID)
			}
			want := slices.Clone(d.Belongs)
			slices.Sort(members)
			slices.Sort(want)
			routine := d.Pattern == "routine"
			if len(want) > 0 {
				e.belonging++
				if !routine {
					e.hardBelonging++
				}
			}
			label := fmt.Sprintf("%s #%d %s %d [%s]", name, i, d.Text, d.Amount, d.Pattern)
			switch got.Outcome {
			case OutcomeMatched:
				e.auto++
				if len(want) == 0 || !slices.Equal(members, want) {
					t.Logf("WRONG MATCH %s → %v, belongs to %v (%s)", label, members, want, got.Reason)
					break
				}
				e.correct++
				if !routine {
					e.hardCorrect++
				}
				if d.Expect != "match" {
					e.guessed++
					t.Logf("matched but a treasurer would %s: %s → %v (%s)", d.Expect, label, members, got.Reason)
				}
			case OutcomeIgnored:
				if len(want) > 0 {
					e.ignoredMembers++
					t.Errorf("member's money ignored: %s belongs to %v (%s)", label, want, got.Reason)
				}
			case OutcomeReview:
				if d.Expect == "match" {
					e.missed++
					t.Logf("review, a treasurer would match: %s → %v (%s)", label, want, got.Reason)
				}
			}
		}
		auto, correct, belonging := e.auto-before.auto, e.correct-before.correct, e.belonging-before.belonging
		t.Logf("%s: precision %.2f%% (%d/%d), coverage %.1f%% (%d/%d)", name,
			100*float64(correct)/float64(max(auto, 1)), correct, auto, 100*float64(correct)/float64(max(belonging, 1)), correct, belonging)
	}
	t.Logf("%s: %d groups, %d deposits, %d belong to members", dir, e.groups, e.deposits, e.belonging)
	t.Logf("precision %.2f%% (%d/%d), coverage %.2f%% (%d/%d), member deposits ignored: %d",
		100*e.precision(), e.correct, e.auto, 100*e.coverage(), e.correct, e.belonging, e.ignoredMembers)
	t.Logf("without routine deposits: coverage %.2f%% (%d/%d)",
		100*float64(e.hardCorrect)/float64(max(e.hardBelonging, 1)), e.hardCorrect, e.hardBelonging)
	t.Logf("matched where the label says review: %d; review where the label says match: %d", e.guessed, e.missed)
	return e
}

// TestCorpus runs the matcher over the labelled corpus (realistic group
// histories) and fails when precision is below 99.5%, coverage below 90%,
// or any member's money comes out ignored.
func TestCorpus(t *testing.T) {
	e := evaluate(t, "corpus")
	if e.groups < 8 || e.deposits < 250 {
		t.Errorf("corpus has %d groups and %d deposits, want at least 8 and 250", e.groups, e.deposits)
	}
	if e.precision() < 0.995 {
		t.Errorf("precision %.4f below 0.995", e.precision())
	}
	if e.coverage() < 0.90 {
		t.Errorf("coverage %.4f below 0.90", e.coverage())
	}
}

// TestHeldOut runs the matcher over the held-out probe sets, written after
// the matcher by authors who had not read it (testdata/heldout). They are
// dense with hard cases by design (about a quarter of the members'
// deposits are labelled review), so coverage is reported, not gated;
// precision must stay at 99.5%, as on the corpus, and no member's money
// may be ignored.
func TestHeldOut(t *testing.T) {
	e := evaluate(t, "heldout")
	if e.precision() < 0.995 {
		t.Errorf("precision %.4f below 0.995", e.precision())
	}
}

// TestCutNamesNeverIgnored takes every member of every corpus and held-out
// roster and cuts "N월회비" + their name at 7 characters, the way banks do:
// whatever the cut leaves (배민 of 배민수, 이자 of 이자영), the deposit is a
// member's money and must never be ignored.
func TestCutNamesNeverIgnored(t *testing.T) {
	var files []string
	for _, dir := range []string{"corpus", "heldout"} {
		fs, _ := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
		files = append(files, fs...)
	}
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cf corpusFile
		if err := json.Unmarshal(data, &cf); err != nil {
			t.Fatal(err)
		}
		def, err := ReadGroup(bytes.NewReader(cf.Group))
		if err != nil {
			t.Fatal(err)
		}
		m := NewMatcher(def.Group)
		for _, mem := range def.Group.Members {
			for month := 1; month <= 12; month++ {
				text := []rune(fmt.Sprintf("%d월회비%s", month, mem.Name))
				if len(text) > 7 {
					text = text[:7]
				}
				got := m.Match(Deposit{Direction: In, Text: string(text), Amount: def.Group.Dues.Amount})
				checked++
				if got.Outcome == OutcomeIgnored {
					t.Errorf("%s: %q (from %s) ignored: %s", filepath.Base(f), string(text), mem.Name, got.Reason)
				}
			}
		}
	}
	t.Logf("%d cut texts checked", checked)
}
