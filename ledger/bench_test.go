package ledger

import (
	"fmt"
	"testing"
	"time"
)

// benchGroup returns a 100-member group with distinct three-syllable names,
// a fifth of them with an alias, some with their own dues, and a year of
// deposits (one a member a month) written the ways payers write them.
func benchGroup() (*Group, []Deposit) {
	surnames := []rune("김이박최정강조윤장임")
	given := []string{"민수", "지은", "서준", "하늘", "유리", "도윤", "서연", "지호", "예은", "현우"}
	g := &Group{Name: "판교 러닝 크루", Dues: DuesRule{Amount: 30000, Day: 25, Start: NewPeriod(2026, 1)}}
	for i := range 100 {
		m := Member{ID: fmt.Sprintf("m%03d", i), Name: string(surnames[i/10]) + given[i%10]}
		if i%5 == 0 {
			m.Aliases = []Alias{{Text: m.Name + "엄마"}}
		}
		if i%7 == 0 {
			m.Dues = 20000
		}
		g.Members = append(g.Members, m)
	}
	forms := []func(name string, month int) string{
		func(n string, _ int) string { return n },
		func(n string, _ int) string { return n + "회비" },
		func(n string, mo int) string { return fmt.Sprintf("%d월회비%s", mo, n) },
		func(n string, mo int) string { return fmt.Sprintf("%s(%d월)", n, mo) },
		func(n string, _ int) string { return "카뱅 " + n },
		func(n string, _ int) string { return n + "엄마" },
		func(n string, _ int) string { return "러닝비" + n },
		func(n string, _ int) string { return string([]rune(n)[:1]) + "*" + string([]rune(n)[2:]) },
	}
	var ds []Deposit
	for mo := 1; mo <= 12; mo++ {
		for i, m := range g.Members {
			text := forms[(i+mo)%len(forms)](m.Name, mo)
			ds = append(ds, Deposit{
				ID: fmt.Sprint(len(ds)), At: time.Date(2026, time.Month(mo), 20+i%8, 21, 0, 0, 0, KST()),
				Direction: In, Text: text, Amount: g.Rate(&m),
			})
		}
	}
	return g, ds
}

// BenchmarkMatch measures deposits matched per second for a 100-member
// group over a year of deposits (target: at least 100,000 per second on
// one core).
func BenchmarkMatch(b *testing.B) {
	g, ds := benchGroup()
	m := NewMatcher(g)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m.Match(ds[i%len(ds)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deposits/s")
}

// BenchmarkReconcileYear measures a whole offline reconciliation of the
// 100-member group's year (1,200 deposits): matching, allocation and the
// status of every member.
func BenchmarkReconcileYear(b *testing.B) {
	g, ds := benchGroup()
	txs := make([]BankTransaction, len(ds))
	for i, d := range ds {
		txs[i] = BankTransaction{Date: d.At.Format("20060102"), Time: d.At.Format("150405"), InoutType: "입금", PrintContent: d.Text, Amount: d.Amount, At: d.At}
	}
	def := &GroupDefinition{Group: g}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Reconcile(def, txs, time.Date(2026, 12, 31, 0, 0, 0, 0, KST())); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchGroupShape keeps the benchmark honest: most of its deposits
// match, and the masked ones go to review.
func TestBenchGroupShape(t *testing.T) {
	g, ds := benchGroup()
	m := NewMatcher(g)
	counts := map[Outcome]int{}
	for _, d := range ds {
		counts[m.Match(d).Outcome]++
	}
	if counts[OutcomeMatched] < len(ds)*3/4 || counts[OutcomeReview] == 0 {
		t.Errorf("outcomes = %v of %d", counts, len(ds))
	}
}

// BenchmarkNewMatcher measures building the matcher of a small group (8
// members), as the store does for every ingest: the built-in dues words
// must not be normalised again each time.
func BenchmarkNewMatcher(b *testing.B) {
	g, _ := benchGroup()
	g.Members = g.Members[:8]
	b.ReportAllocs()
	for b.Loop() {
		NewMatcher(g)
	}
}
