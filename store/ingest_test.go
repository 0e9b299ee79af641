package store_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// noticeEach enqueues one message per notice, keyed by the deposit.
func noticeEach(n store.Notice) []store.OutboxMessage {
	return []store.OutboxMessage{{
		Key:     n.Event + "/" + n.Deposit.ID,
		GroupID: n.GroupID,
		Chat:    store.ChatRef{Platform: "telegram", ID: "-1001"},
		Kind:    n.Match.Outcome.String(),
		Text:    fmt.Sprintf("%s %d", n.Deposit.Text, n.Deposit.Amount),
	}}
}

var jan, feb, mar = ledger.NewPeriod(2024, time.January), ledger.NewPeriod(2024, time.February), ledger.NewPeriod(2024, time.March)

func TestIngest(t *testing.T) {
	c := newClock()
	db := mustOpen(t, withClock(c))
	g, a := setup(t, db)
	rows := []ledger.Deposit{
		in(0, "김민수", 30000, 130000),
		in(1, "이영희", 60000, 190000),
		in(2, "홍길동", 30000, 220000),
		out(3, "출금", 20000, 200000),
	}
	through := t0.Add(time.Hour)
	res, err := db.Ingest(ctx, a.ID, rows, store.Cursor{Through: through}, store.IngestOptions{Notify: noticeEach})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(res.New), 4; got != want {
		t.Fatalf("new = %d, want %d", got, want)
	}
	var outcomes []ledger.Outcome
	for _, in := range res.New {
		outcomes = append(outcomes, in.Match.Outcome)
		if len(in.Messages) != 1 {
			t.Errorf("%s: messages %v, want one", in.Deposit.ID, in.Messages)
		}
	}
	if want := []ledger.Outcome{ledger.OutcomeMatched, ledger.OutcomeMatched, ledger.OutcomeReview, ledger.OutcomeIgnored}; !slices.Equal(outcomes, want) {
		t.Errorf("outcomes = %v, want %v", outcomes, want)
	}
	if got, want := res.New[0].Deposit.ID, "a1/1"; got != want {
		t.Errorf("first id = %q, want %q", got, want)
	}
	wantAllocs := []ledger.Allocation{
		{MemberID: "m2", Period: jan, Amount: 30000, Ref: "a1/2"},
		{MemberID: "m2", Period: feb, Amount: 30000, Ref: "a1/2"},
	}
	if got := res.New[1].Allocations; !slices.Equal(got, wantAllocs) {
		t.Errorf("allocations = %+v, want %+v", got, wantAllocs)
	}
	if res.Cursor.Rows != 4 || !res.Cursor.Through.Equal(through) || !res.Cursor.LastAt.Equal(rows[3].At) || !res.Cursor.FetchedAt.Equal(c.Now()) {
		t.Errorf("cursor = %+v", res.Cursor)
	}

	review, _ := db.Review(ctx, g.ID)
	if len(review) != 1 || review[0].Deposit.Text != "홍길동" {
		t.Errorf("review = %+v, want 홍길동", review)
	}
	pays, _ := db.Payments(ctx, g.ID)
	if len(pays) != 2 {
		t.Errorf("payments = %d, want 2", len(pays))
	}
	rec, err := db.Deposit(ctx, "a1/2")
	if err != nil || !slices.Equal(rec.Allocations, wantAllocs) || rec.Decision.By != store.ActorMatcher || rec.AccountID != a.ID {
		t.Errorf("deposit a1/2 = %+v, %v", rec, err)
	}
	msgs, _ := db.Messages(ctx, 0)
	if len(msgs) != 4 || msgs[0].Key != "deposit/a1/1" || msgs[0].State != store.StatePending {
		t.Errorf("messages = %+v", msgs)
	}

	t.Run("SameFetchAgain", func(t *testing.T) {
		c.Advance(time.Minute)
		res, err := db.Ingest(ctx, a.ID, rows, store.Cursor{Through: through.Add(-time.Minute)}, store.IngestOptions{Notify: noticeEach})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.New) != 0 || res.Duplicates != 4 {
			t.Errorf("new %d, duplicates %d; want 0, 4", len(res.New), res.Duplicates)
		}
		if !res.Cursor.Through.Equal(through) {
			t.Errorf("cursor went back to %v", res.Cursor.Through)
		}
		if msgs, _ := db.Messages(ctx, 0); len(msgs) != 4 {
			t.Errorf("messages = %d, want still 4", len(msgs))
		}
	})
	t.Run("OverlapAddsOnlyNew", func(t *testing.T) {
		more := append(slices.Clone(rows[2:]), in(600, "민수", 30000, 230000))
		res, err := db.Ingest(ctx, a.ID, more, store.Cursor{}, store.IngestOptions{Notify: noticeEach})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.New) != 1 || res.Duplicates != 2 || res.New[0].Deposit.ID != "a1/5" {
			t.Fatalf("new %+v, duplicates %d", res.New, res.Duplicates)
		}
		if got, want := res.New[0].Allocations, []ledger.Allocation{{MemberID: "m1", Period: feb, Amount: 30000, Ref: "a1/5"}}; !slices.Equal(got, want) {
			t.Errorf("alias 민수 allocated %+v, want %+v", got, want)
		}
	})
	if err := db.Check(ctx); err != nil {
		t.Errorf("check: %v", err)
	}
}

func TestIngestTwins(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	// 김민수 pays the same amount twice in the same second: both count.
	rows := []ledger.Deposit{in(0, "김민수", 30000, 130000), in(0, "김민수", 30000, 160000)}
	for range 3 {
		if _, err := db.Ingest(ctx, a.ID, rows, store.Cursor{}, store.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := db.Deposits(ctx, a.ID)
	if !sameLedger(got, rows) {
		t.Errorf("stored:\n%s", diffLedger(got, rows))
	}
	bk, _ := db.Book(ctx, g.ID)
	st, _ := bk.Status("m1", mar)
	if st.Periods[0].Status != ledger.StatusPaid || st.Periods[1].Status != ledger.StatusPaid || st.Periods[2].Status != ledger.StatusUnpaid {
		t.Errorf("status = %+v, want Jan and Feb paid", st.Periods)
	}
}

func TestIngestDescending(t *testing.T) {
	db := mustOpen(t)
	_, a := setup(t, db)
	rows := []ledger.Deposit{in(0, "김민수", 30000, 130000), in(5, "이영희", 30000, 160000), in(5, "박지성", 20000, 180000)}
	desc := slices.Clone(rows)
	slices.Reverse(desc)
	if _, err := db.Ingest(ctx, a.ID, desc, store.Cursor{}, store.IngestOptions{Descending: true}); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Deposits(ctx, a.ID)
	if !sameLedger(got, rows) {
		t.Errorf("stored:\n%s", diffLedger(got, rows))
	}
}

func TestIngestAtomic(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	rows := []ledger.Deposit{in(0, "김민수", 30000, 130000), in(1, "홍길동", 30000, 160000)}
	calls := 0
	bad := func(n store.Notice) []store.OutboxMessage {
		calls++
		if calls == 2 {
			return []store.OutboxMessage{{Chat: store.ChatRef{Platform: "telegram", ID: "1"}}} // no key
		}
		return noticeEach(n)
	}
	_, err := db.Ingest(ctx, a.ID, rows, store.Cursor{Through: t0}, store.IngestOptions{Notify: bad})
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	deps, _ := db.Deposits(ctx, a.ID)
	pays, _ := db.Payments(ctx, g.ID)
	review, _ := db.Review(ctx, g.ID)
	msgs, _ := db.Messages(ctx, 0)
	cur, _ := db.Cursor(ctx, a.ID)
	if len(deps)+len(pays)+len(review)+len(msgs) != 0 || cur != (store.Cursor{}) {
		t.Errorf("a failed ingest left deposits %d, payments %d, review %d, messages %d, cursor %+v", len(deps), len(pays), len(review), len(msgs), cur)
	}
	// The same fetch goes through once the notifier is fixed.
	res, err := db.Ingest(ctx, a.ID, rows, store.Cursor{}, store.IngestOptions{Notify: noticeEach})
	if err != nil || len(res.New) != 2 {
		t.Fatalf("retry: %+v, %v", res, err)
	}
}

func TestIngestInvalid(t *testing.T) {
	db := mustOpen(t)
	_, a := setup(t, db)
	ok := in(0, "김민수", 30000, 130000)
	tests := []struct {
		name    string
		account string
		rows    []ledger.Deposit
		want    error
	}{
		{"UnknownAccount", "a9", []ledger.Deposit{ok}, store.ErrNotFound},
		{"OutOfOrder", a.ID, []ledger.Deposit{in(5, "x", 1, 1), in(0, "y", 1, 2)}, store.ErrInvalid},
		{"NoDirection", a.ID, []ledger.Deposit{{At: t0, Text: "x", Amount: 1}}, store.ErrInvalid},
		{"NegativeAmount", a.ID, []ledger.Deposit{in(0, "x", -1, 1)}, store.ErrInvalid},
		{"NoTime", a.ID, []ledger.Deposit{{Direction: ledger.In, Text: "x", Amount: 1}}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.Ingest(ctx, tt.account, tt.rows, store.Cursor{}, store.IngestOptions{})
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if deps, _ := db.Deposits(ctx, a.ID); len(deps) != 0 {
		t.Errorf("invalid fetches stored %d rows", len(deps))
	}
}

// badShares matches everything to a member who is not in the group.
type badShares struct{}

func (badShares) Match(d ledger.Deposit) ledger.Match {
	return ledger.Match{Outcome: ledger.OutcomeMatched, Shares: []ledger.Share{{MemberID: "ghost", Amount: d.Amount}}, Confidence: 99}
}

func TestIngestBadMatchGoesToReview(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	if _, err := db.Ingest(ctx, a.ID, []ledger.Deposit{in(0, "김민수", 30000, 130000)}, store.Cursor{}, store.IngestOptions{Matcher: badShares{}}); err != nil {
		t.Fatal(err)
	}
	review, _ := db.Review(ctx, g.ID)
	if len(review) != 1 || review[0].Note == "" {
		t.Errorf("review = %+v, want the deposit with a note", review)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}
