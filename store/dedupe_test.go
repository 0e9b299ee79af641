package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// noMatch is a matcher that decides nothing, for tests about rows.
type noMatch struct{}

func (noMatch) Match(ledger.Deposit) ledger.Match {
	return ledger.Match{Outcome: ledger.OutcomeIgnored}
}

// genLedger makes an account history of about n rows whose balances chain,
// with many rows sharing a second, identical twins (the same text and
// amount twice in one second: only the balance differs) and, when
// fullTwins, rows identical in every field (money in, back out and in
// again within one second). The first and last rows are alone in their
// seconds.
func genLedger(r *rand.Rand, n int, fullTwins bool) []ledger.Deposit {
	texts := []string{"김민수", "이영희", "박지성", "회비 3월", "KIM MINSU"}
	amounts := []int64{1000, 5000, 20000, 30000}
	bal := 10000 + r.Int64N(100000)
	at := time.Date(2024, 3, 1, 0, 0, 0, 0, ledger.KST())
	add := func(rows []ledger.Deposit, dir ledger.Direction, text string, amt int64) []ledger.Deposit {
		if dir == ledger.In {
			bal += amt
		} else {
			bal -= amt
		}
		return append(rows, ledger.Deposit{At: at, Direction: dir, Text: text, Amount: amt, Balance: bal})
	}
	rows := add(nil, ledger.In, "개설", 1000)
	for len(rows) < n {
		if r.IntN(3) == 0 {
			at = at.Add(time.Duration(1+r.IntN(7200)) * time.Second)
		} else if len(rows) == 1 {
			at = at.Add(time.Second)
		}
		text, amt := texts[r.IntN(len(texts))], amounts[r.IntN(len(amounts))]
		switch k := r.IntN(10); {
		case k < 2:
			rows = add(rows, ledger.In, text, amt)
			rows = add(rows, ledger.In, text, amt)
		case k < 4 && fullTwins:
			rows = add(rows, ledger.In, text, amt)
			rows = add(rows, ledger.Out, "환불", amt)
			rows = add(rows, ledger.In, text, amt)
		case k < 6 && bal > amt:
			rows = add(rows, ledger.Out, "출금", amt)
		default:
			rows = add(rows, ledger.In, text, amt)
		}
	}
	at = at.Add(time.Hour)
	return add(rows, ledger.In, "마감", 1000)
}

// secondRuns returns the [start, end) runs of rows sharing a second.
func secondRuns(rows []ledger.Deposit) [][2]int {
	var runs [][2]int
	s := 0
	for i := 1; i <= len(rows); i++ {
		if i == len(rows) || !rows[i].At.Equal(rows[s].At) {
			runs = append(runs, [2]int{s, i})
			s = i
		}
	}
	return runs
}

type fetch struct {
	lo, hi     int
	descending bool
}

// pageFetches cuts rows into overlapping pages at arbitrary points (inside
// seconds too), adds for every second that no page shows with a row on
// each side a page that does, repeats some pages and shuffles them all.
func pageFetches(r *rand.Rand, rows []ledger.Deposit) []fetch {
	n := len(rows)
	var fs []fetch
	for range 2 + r.IntN(8) {
		lo := r.IntN(n)
		fs = append(fs, fetch{lo: lo, hi: lo + 1 + r.IntN(min(n-lo, 30))})
	}
	for _, run := range secondRuns(rows) {
		if run[0] == 0 || run[1] == n {
			continue // the lone first and last rows
		}
		whole := slices.ContainsFunc(fs, func(f fetch) bool { return f.lo < run[0] && f.hi > run[1] })
		if !whole {
			lo := max(0, run[0]-1-r.IntN(5))
			hi := min(n, run[1]+1+r.IntN(5))
			fs = append(fs, fetch{lo: lo, hi: hi})
		}
	}
	fs = append(fs, fetch{lo: 0, hi: 1 + r.IntN(n)}, fetch{lo: r.IntN(n), hi: n})
	for range r.IntN(5) {
		fs = append(fs, fs[r.IntN(len(fs))])
	}
	r.Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
	for i := range fs {
		fs[i].descending = r.IntN(2) == 0
	}
	return fs
}

// pollFetches is how moimbot polls: each query starts at a second boundary
// at or before the end of the previous one and ends anywhere (the current
// second may be cut), with re-fetches of older ranges mixed in.
func pollFetches(r *rand.Rand, rows []ledger.Deposit) []fetch {
	n := len(rows)
	var starts []int
	for _, run := range secondRuns(rows) {
		starts = append(starts, run[0])
	}
	var fs []fetch
	end := 0
	for end < n {
		next := min(n, end+1+r.IntN(12))
		lo := 0
		for _, s := range starts {
			if s <= end && r.IntN(3) > 0 {
				lo = s
			}
		}
		fs = append(fs, fetch{lo: lo, hi: next, descending: r.IntN(2) == 0})
		if r.IntN(4) == 0 {
			old := starts[r.IntN(len(starts))]
			if old < next {
				fs = append(fs, fetch{lo: old, hi: old + 1 + r.IntN(next-old), descending: r.IntN(2) == 0})
			}
		}
		end = next
	}
	return fs
}

func ingestAll(t *testing.T, db *store.DB, acct string, rows []ledger.Deposit, fs []fetch) {
	t.Helper()
	for _, f := range fs {
		page := slices.Clone(rows[f.lo:f.hi])
		if f.descending {
			slices.Reverse(page)
		}
		if _, err := db.Ingest(ctx, acct, page, store.Cursor{}, store.IngestOptions{Descending: f.descending, Matcher: noMatch{}}); err != nil {
			t.Fatalf("ingest [%d,%d): %v", f.lo, f.hi, err)
		}
	}
}

// TestDedupeProperty feeds generated ledgers to Ingest as overlapping,
// repeated, reordered fetches and checks that the stored ledger is exactly
// the original: every row once, twins kept, in the bank's order.
func TestDedupeProperty(t *testing.T) {
	cases := 250
	if testing.Short() {
		cases = 60
	}
	modes := []struct {
		name    string
		fetches func(*rand.Rand, []ledger.Deposit) []fetch
	}{
		{"Pages", pageFetches},
		{"Polls", pollFetches},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			db := mustOpen(t)
			g, _ := db.PutGroup(ctx, "cli", testGroup())
			for c := range cases {
				seed := uint64(c)
				r := rand.New(rand.NewPCG(seed, 0x5eed))
				rows := genLedger(r, 5+r.IntN(60), true)
				fs := mode.fetches(r, rows)
				a, err := db.PutAccount(ctx, "cli", store.Account{GroupID: g.ID, FintechUseNum: fmt.Sprint("f", c)})
				if err != nil {
					t.Fatal(err)
				}
				ingestAll(t, db, a.ID, rows, fs)
				got, err := db.Deposits(ctx, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				if !sameLedger(got, rows) {
					t.Fatalf("seed %d: %d fetches %v of %d rows stored %d rows:\n%s", seed, len(fs), fs, len(rows), len(got), diffLedger(got, rows))
				}
				cur, _ := db.Cursor(ctx, a.ID)
				if cur.Rows != int64(len(rows)) || !cur.LastAt.Equal(rows[len(rows)-1].At) {
					t.Fatalf("seed %d: cursor %+v, want %d rows through %v", seed, cur, len(rows), rows[len(rows)-1].At)
				}
			}
			if err := db.Check(ctx); err != nil {
				t.Fatalf("check: %v", err)
			}
		})
	}
}

func diffLedger(got, want []ledger.Deposit) string {
	s := ""
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = fmt.Sprintf("%s %s %q %d → %d", got[i].At.Format("15:04:05"), got[i].Direction, got[i].Text, got[i].Amount, got[i].Balance)
		}
		if i < len(want) {
			w = fmt.Sprintf("%s %s %q %d → %d", want[i].At.Format("15:04:05"), want[i].Direction, want[i].Text, want[i].Amount, want[i].Balance)
		}
		mark := "  "
		if g != w {
			mark = "≠ "
		}
		s += fmt.Sprintf("%s%-50s | %s\n", mark, g, w)
	}
	return s
}

// TestDedupeNeverDoubles cuts ledgers into arbitrary pages with no
// guarantee that a fetch ever shows a second whole. Then the store may
// keep fewer identical rows than happened (see TestDedupeLimitation), but
// it never keeps a row more often than it happened, and it keeps every
// distinct row.
func TestDedupeNeverDoubles(t *testing.T) {
	cases := 250
	if testing.Short() {
		cases = 60
	}
	db := mustOpen(t)
	g, _ := db.PutGroup(ctx, "cli", testGroup())
	for c := range cases {
		seed := uint64(c)
		r := rand.New(rand.NewPCG(seed, 0xd0b1e))
		rows := genLedger(r, 5+r.IntN(60), true)
		var fs []fetch
		for lo := 0; lo < len(rows); {
			hi := min(len(rows), lo+1+r.IntN(8))
			fs = append(fs, fetch{lo: max(0, lo-r.IntN(3)), hi: hi, descending: r.IntN(2) == 0})
			lo = hi
		}
		r.Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
		a, _ := db.PutAccount(ctx, "cli", store.Account{GroupID: g.ID, FintechUseNum: fmt.Sprint("f", c)})
		ingestAll(t, db, a.ID, rows, fs)
		got, _ := db.Deposits(ctx, a.ID)
		type key struct {
			at                   int64
			dir                  ledger.Direction
			text                 string
			amount, balanceAfter int64
		}
		count := map[key]int{}
		for _, d := range rows {
			count[key{d.At.Unix(), d.Direction, d.Text, d.Amount, d.Balance}]++
		}
		kept := map[key]int{}
		for _, d := range got {
			k := key{d.At.Unix(), d.Direction, d.Text, d.Amount, d.Balance}
			kept[k]++
			if kept[k] > count[k] {
				t.Fatalf("seed %d: %v stored %d times, happened %d times:\n%s", seed, k, kept[k], count[k], diffLedger(got, rows))
			}
		}
		if len(kept) != len(count) {
			t.Fatalf("seed %d: %d distinct rows stored, want %d", seed, len(kept), len(count))
		}
	}
}

// TestDedupeLimitation pins the one case the algorithm cannot decide: a
// second holding rows identical in every field (in, out, in, out, in of
// the same amount and texts) that no fetch shows whole. Two pieces that
// overlap in "in, out" fit both a, b, a and a, b, a, b, a; the store
// keeps the shorter, losing rows rather than doubling any. A later fetch
// showing the second whole restores it.
func TestDedupeLimitation(t *testing.T) {
	db := mustOpen(t)
	_, a := setup(t, db)
	rows := []ledger.Deposit{
		in(0, "개설", 1000, 10000),
		in(60, "김민수", 1000, 11000), out(60, "환불", 1000, 10000),
		in(60, "김민수", 1000, 11000), out(60, "환불", 1000, 10000),
		in(60, "김민수", 1000, 11000),
		in(120, "이영희", 500, 11500),
	}
	opts := store.IngestOptions{Matcher: noMatch{}}
	db.Ingest(ctx, a.ID, rows[:4], store.Cursor{}, opts) // 개설, in, out, in
	db.Ingest(ctx, a.ID, rows[4:], store.Cursor{}, opts) // out, in, 이영희
	got, _ := db.Deposits(ctx, a.ID)
	if want := []ledger.Deposit{rows[0], rows[1], rows[2], rows[3], rows[6]}; !sameLedger(got, want) {
		t.Errorf("from pieces:\n%s", diffLedger(got, want))
	}
	db.Ingest(ctx, a.ID, rows, store.Cursor{}, opts)
	got, _ = db.Deposits(ctx, a.ID)
	if !sameLedger(got, rows) {
		t.Errorf("after a whole fetch:\n%s", diffLedger(got, rows))
	}
}
