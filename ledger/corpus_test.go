package ledger

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// corpusFile is one group of the labelled evaluation corpus in
// testdata/corpus (see its README.md).
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

// Quality bars of the matcher on the corpus.
const (
	minPrecision = 0.995 // correct automatic matches / automatic matches
	minCoverage  = 0.90  // correct automatic matches / deposits that belong to a member
)

// TestCorpus runs the matcher over the labelled corpus and fails when
// precision or coverage falls below the bars or when any member's money
// comes out ignored.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	var (
		total, belonging, auto, correct int
		guessed, missed                 int
		groups                          int
		// The same figures without the routine deposits (pattern
		// "routine"): the hard cases alone.
		hardBelonging, hardCorrect int
		ignoredMembers             int
	)
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
		groups++
		m := NewMatcher(def.Group)
		name := filepath.Base(f)
		for i, d := range cf.Deposits {
			total++
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
			if len(want) > 0 {
				belonging++
				if d.Pattern != "routine" {
					hardBelonging++
				}
			}
			label := name + " #" + itoa(i) + " " + d.Text + " " + itoa(int(d.Amount)) + " [" + d.Pattern + "]"
			switch got.Outcome {
			case OutcomeMatched:
				auto++
				if slices.Equal(members, want) && len(want) > 0 {
					correct++
					if d.Pattern != "routine" {
						hardCorrect++
					}
					if d.Expect != "match" {
						guessed++
						t.Logf("matched but a treasurer would %s: %s → %v (%s)", d.Expect, label, members, got.Reason)
					}
				} else {
					t.Logf("WRONG MATCH %s → %v, belongs to %v (%s)", label, members, want, got.Reason)
				}
			case OutcomeIgnored:
				if len(want) > 0 {
					ignoredMembers++
					t.Errorf("member's money ignored: %s belongs to %v (%s)", label, want, got.Reason)
				}
			case OutcomeReview:
				if d.Expect == "match" {
					missed++
					t.Logf("review, a treasurer would match: %s → %v (%s)", label, want, got.Reason)
				}
			}
		}
	}
	precision := float64(correct) / float64(max(auto, 1))
	coverage := float64(correct) / float64(max(belonging, 1))
	t.Logf("corpus: %d groups, %d deposits, %d belong to members", groups, total, belonging)
	t.Logf("precision %.2f%% (%d/%d), coverage %.2f%% (%d/%d), member deposits ignored: %d",
		100*precision, correct, auto, 100*coverage, correct, belonging, ignoredMembers)
	t.Logf("without routine deposits: coverage %.2f%% (%d/%d)", 100*float64(hardCorrect)/float64(max(hardBelonging, 1)), hardCorrect, hardBelonging)
	t.Logf("matched where the label says review: %d; review where the label says match: %d", guessed, missed)
	if groups < 8 || total < 250 {
		t.Errorf("corpus has %d groups and %d deposits, want at least 8 and 250", groups, total)
	}
	if precision < minPrecision {
		t.Errorf("precision %.4f below %.3f", precision, minPrecision)
	}
	if coverage < minCoverage {
		t.Errorf("coverage %.4f below %.2f", coverage, minCoverage)
	}
}

func itoa(n int) string {
	var b strings.Builder
	if n < 0 {
		b.WriteByte('-')
		n = -n
	}
	s := []byte{}
	for {
		s = append([]byte{byte('0' + n%10)}, s...)
		n /= 10
		if n == 0 {
			break
		}
	}
	b.Write(s)
	return b.String()
}
