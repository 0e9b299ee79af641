package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/ledger"
)

// The tests of Ingest's plan: the work a batched Ingest does ahead of its
// write transaction must come to what the write transaction would have
// done itself, and must be done again when the database changed between
// the two.

var planT0 = time.Date(2024, 3, 10, 9, 0, 0, 0, ledger.KST())

// openPlanDB opens a database with a fixed clock, the group (dues 30,000
// on the 10th from January 2024: 김민수 alias 민수, 이영희) and one account.
func openPlanDB(t *testing.T) (*DB, Group, Account) {
	t.Helper()
	ctx := t.Context()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "moimbot.db"), Options{NoSync: true, Now: func() time.Time { return planT0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	g, err := db.PutGroup(ctx, "cli", Group{
		Group: ledger.Group{Name: "독서모임", Dues: ledger.DuesRule{Amount: 30000, Day: 10, Start: ledger.NewPeriod(2024, time.January)},
			Members: []ledger.Member{{ID: "m1", Name: "김민수", Aliases: []ledger.Alias{{Text: "민수"}}}, {ID: "m2", Name: "이영희"}}},
		Settings: GroupSettings{Language: "ko", Chats: []ChatRef{{Platform: "telegram", ID: "-1001"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.PutAccount(ctx, "cli", Account{GroupID: g.ID, FintechUseNum: "199000000000000000000001"})
	if err != nil {
		t.Fatal(err)
	}
	return db, g, a
}

func planRow(sec int, text string, amount, balance int64) ledger.Deposit {
	return ledger.Deposit{At: planT0.Add(time.Duration(sec) * time.Second), Direction: ledger.In, Text: text, Amount: amount, Balance: balance}
}

// planNotify builds one message per deposit, naming its id, the first
// allocation and the member's standing, so that a stale book or id shows.
func planNotify(n Notice) []OutboxMessage {
	text := n.Deposit.ID + " " + n.Match.Outcome.String()
	for _, a := range n.Allocations {
		text += fmt.Sprintf(" %s:%s:%d", a.MemberID, a.Period, a.Amount)
	}
	if n.Book != nil {
		for _, s := range n.Book.Statuses(ledger.NewPeriod(2024, time.March)) {
			text += fmt.Sprintf(" %s=%d", s.MemberID, s.Balance)
		}
	}
	return []OutboxMessage{{Key: "deposit/" + n.Deposit.ID, GroupID: n.GroupID, Chat: ChatRef{Platform: "telegram", ID: "-1001"}, Kind: "deposit", Text: text}}
}

// ingestState is what an Ingest leaves, as the DB's readers see it.
type ingestState struct {
	Deposits []ledger.Deposit
	Payments []PaymentRecord
	Review   []ReviewItem
	Messages []Message
	Cursor   Cursor
	Matches  []MatchRecord
}

func stateOf(t *testing.T, db *DB, g Group, a Account) ingestState {
	t.Helper()
	ctx := t.Context()
	var s ingestState
	var err error
	if s.Deposits, err = db.Deposits(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if s.Payments, err = db.Payments(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if s.Review, err = db.Review(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if s.Messages, err = db.Messages(ctx, StatePending); err != nil {
		t.Fatal(err)
	}
	if s.Cursor, err = db.Cursor(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	for _, d := range s.Deposits {
		r, err := db.Deposit(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		s.Matches = append(s.Matches, r.Decision)
	}
	return s
}

// TestIngestBatchedLikeAlone checks that fetches ingested with a plan
// (Batch) leave exactly what the same fetches ingested alone leave: rows,
// decisions, payments and allocations, review items, messages, cursor.
func TestIngestBatchedLikeAlone(t *testing.T) {
	fetches := [][]ledger.Deposit{
		{planRow(0, "김민수", 30000, 30000), planRow(5, "이영희", 30000, 60000)},
		// Overlapping: the first two again, a review, a twin in one
		// second, and a joint deposit.
		{planRow(0, "김민수", 30000, 30000), planRow(5, "이영희", 30000, 60000), planRow(9, "누구지", 10000, 70000),
			planRow(9, "민수", 30000, 100000), planRow(9, "민수", 30000, 130000)},
		{planRow(9, "민수", 30000, 130000), planRow(20, "김민수 이영희", 60000, 190000)},
		{},
	}
	ctx := t.Context()
	alone, g1, a1 := openPlanDB(t)
	batched, g2, a2 := openPlanDB(t)
	for i, rows := range fetches {
		cur := Cursor{Through: planT0.Add(time.Duration(30*(i+1)) * time.Second)}
		r1, err := alone.Ingest(ctx, a1.ID, rows, cur, IngestOptions{Notify: planNotify, Calls: 1})
		if err != nil {
			t.Fatal(err)
		}
		r2, err := batched.Ingest(ctx, a2.ID, rows, cur, IngestOptions{Notify: planNotify, Calls: 1, Batch: true})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r1, r2) {
			t.Errorf("fetch %d: batched result\n%+v\nwant\n%+v", i+1, r2, r1)
		}
	}
	got, want := stateOf(t, batched, g2, a2), stateOf(t, alone, g1, a1)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("batched state\n%+v\nwant\n%+v", got, want)
	}
	if len(want.Payments) != 6 || len(want.Review) != 1 || len(want.Messages) != 6 {
		t.Errorf("%d payments, %d review items, %d messages; want 6, 1, 6", len(want.Payments), len(want.Review), len(want.Messages))
	}
}

// TestIngestStalePlan makes Ingest's plan, changes the database, then runs
// the write transaction with the stale plan: what it stores must be what a
// fresh Ingest after the change stores.
func TestIngestStalePlan(t *testing.T) {
	rows := []ledger.Deposit{planRow(0, "김민수", 30000, 30000), planRow(7, "민수짱", 30000, 60000)}
	tests := []struct {
		name string
		// change is made between the plan and the write.
		change func(t *testing.T, db *DB, g Group, a Account)
		// holds is whether the plan still holds after the change.
		holds bool
	}{
		{"unchanged", func(*testing.T, *DB, Group, Account) {}, true},
		{"group learned an alias", func(t *testing.T, db *DB, g Group, a Account) {
			// 민수짱 was nobody's; now it is 김민수's.
			if _, err := db.UpdateGroup(t.Context(), "cli", g.ID, func(g *Group) error {
				g.Members[0].Aliases = append(g.Members[0].Aliases, ledger.Alias{Text: "민수짱"})
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"manual payment", func(t *testing.T, db *DB, g Group, a Account) {
			// January's dues paid in cash: the deposits now pay later months.
			if _, err := db.AddManualPayment(t.Context(), "cli", g.ID, ledger.Payment{MemberID: "m1", Amount: 30000, At: planT0.Add(-time.Hour)}, "cash"); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"payment voided", func(t *testing.T, db *DB, g Group, a Account) {
			if _, err := db.Ingest(t.Context(), a.ID, []ledger.Deposit{planRow(-50, "김민수", 30000, 0)}, Cursor{}, IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := db.Unassign(t.Context(), "cli", a.ID+"/1"); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"rows stored meanwhile", func(t *testing.T, db *DB, g Group, a Account) {
			if _, err := db.Ingest(t.Context(), a.ID, rows[:1], Cursor{}, IngestOptions{Notify: planNotify}); err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			opts := IngestOptions{Notify: planNotify, Batch: true}
			norm, err := normaliseRows(rows, false)
			if err != nil {
				t.Fatal(err)
			}

			// The stale plan, then the change, then the write.
			db, g, a := openPlanDB(t)
			var p *ingestPlan
			err = db.view(ctx, "plan", func(tx *bolt.Tx) error {
				var err error
				p, err = db.planIngest(tx, a.ID, norm, opts)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			tt.change(t, db, g, a)
			var res IngestResult
			var holds bool
			err = db.update(ctx, "write", func(tx *bolt.Tx) error {
				res = IngestResult{}
				fresh, _, err := mergePreview(tx, a.ID, norm)
				if err != nil {
					return err
				}
				if holds, err = p.holds(db, tx, fresh); err != nil {
					return err
				}
				return db.ingestTx(tx, a.ID, norm, Cursor{}, opts, p, &res)
			})
			if err != nil {
				t.Fatal(err)
			}
			if holds != tt.holds {
				t.Errorf("plan holds = %v, want %v", holds, tt.holds)
			}

			// The change, then a whole Ingest.
			ref, gr, ar := openPlanDB(t)
			tt.change(t, ref, gr, ar)
			want, err := ref.Ingest(ctx, ar.ID, rows, Cursor{}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res, want) {
				t.Errorf("stale plan's result\n%+v\nwant\n%+v", res, want)
			}
			if got, want := stateOf(t, db, g, a), stateOf(t, ref, gr, ar); !reflect.DeepEqual(got, want) {
				t.Errorf("stale plan's state\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

// mergePreview is the rows storeRows would add, with their ids, without
// writing them.
func mergePreview(tx *bolt.Tx, accountID string, rows []ledger.Deposit) ([]ledger.Deposit, int, error) {
	m, err := mergeFetch(tx.Bucket(bucketTxTime).Bucket([]byte(accountID)), rows)
	if err != nil {
		return nil, 0, err
	}
	var seq uint64
	if b := tx.Bucket(bucketTxs).Bucket([]byte(accountID)); b != nil {
		seq = b.Sequence()
	}
	var fresh []ledger.Deposit
	for i, a := range m.adds {
		d := rows[a.row]
		d.ID = depositID(accountID, seq+uint64(i)+1)
		fresh = append(fresh, d)
	}
	return fresh, m.dups, nil
}

// TestGroupCache checks that a group's entry (decoded record, matcher) is
// reused while its stored bytes are unchanged, replaced when they change,
// and that the cache keeps no more entries than its bound.
func TestGroupCache(t *testing.T) {
	c := newGroupCache(2)
	raw := func(name string) []byte {
		return []byte(`{"id":"g1","name":"` + name + `","members":[{"id":"m1","name":"김민수"}]}`)
	}
	e1, err := c.get("g1", raw("독서모임"))
	if err != nil {
		t.Fatal(err)
	}
	m1 := e1.matcherOf()
	e2, err := c.get("g1", raw("독서모임"))
	if err != nil {
		t.Fatal(err)
	}
	if e2 != e1 || e2.matcherOf() != m1 {
		t.Error("unchanged group: a new entry, want the cached one")
	}
	e3, err := c.get("g1", raw("산악회"))
	if err != nil {
		t.Fatal(err)
	}
	if e3 == e1 || e3.group.Name != "산악회" {
		t.Errorf("changed group: entry of %q, want a new one of 산악회", e3.group.Name)
	}
	for i := range 5 {
		if _, err := c.get(fmt.Sprintf("g%d", i+2), raw("모임")); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(c.m); got > 2 {
		t.Errorf("cache holds %d entries, want at most 2", got)
	}
	if _, err := c.get("g9", []byte("{")); err == nil {
		t.Error("a damaged record decoded without an error")
	}
}

// TestPollState checks the one read of a sync pass, and that a token pair
// unchanged since the stamp the caller passes is not decrypted again.
func TestPollState(t *testing.T) {
	ctx := context.Background()
	key, err := ParseKey(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, filepath.Join(t.TempDir(), "moimbot.db"), Options{NoSync: true, Cipher: key, Now: func() time.Time { return planT0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g, err := db.PutGroup(ctx, "cli", Group{Group: ledger.Group{Name: "모임", Dues: ledger.DuesRule{Amount: 1000, Day: 1, Start: ledger.NewPeriod(2024, time.January)}}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.PutAccount(ctx, "cli", Account{GroupID: g.ID, FintechUseNum: "1", TokenName: "u1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PollState(ctx, "nope", "", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing account: %v, want ErrNotFound", err)
	}
	st, err := db.PollState(ctx, a.ID, "job", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(st.TokenErr, ErrNotFound) || st.Account.ID != a.ID || !st.LastRun.IsZero() {
		t.Errorf("no token yet: %+v", st)
	}
	tok := Token{AccessToken: "at", RefreshToken: "rt", ExpiresAt: planT0.Add(90 * 24 * time.Hour)}
	if err := db.PutToken(ctx, "u1", tok); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordRun(ctx, "job", planT0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Ingest(ctx, a.ID, []ledger.Deposit{planRow(0, "x", 1000, 1000)}, Cursor{Through: planT0}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	st, err = db.PollState(ctx, a.ID, "job", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !sameToken(st.Token, tok) || st.TokenSame || st.TokenStamp == 0 || st.TokenErr != nil {
		t.Errorf("token: %+v same %v stamp %d err %v", st.Token, st.TokenSame, st.TokenStamp, st.TokenErr)
	}
	if !st.LastRun.Equal(planT0) || st.Cursor.Rows != 1 || !st.Cursor.Through.Equal(planT0) {
		t.Errorf("last run %v, cursor %+v", st.LastRun, st.Cursor)
	}
	again, err := db.PollState(ctx, a.ID, "job", st.TokenStamp)
	if err != nil {
		t.Fatal(err)
	}
	if !again.TokenSame || again.Token != (Token{}) || again.TokenStamp != st.TokenStamp {
		t.Errorf("unchanged token: same %v, token %+v", again.TokenSame, again.Token)
	}
	// Stored again (the same pair, sealed anew): decrypted again.
	if err := db.PutToken(ctx, "u1", tok); err != nil {
		t.Fatal(err)
	}
	third, err := db.PollState(ctx, a.ID, "job", st.TokenStamp)
	if err != nil {
		t.Fatal(err)
	}
	if third.TokenSame || !sameToken(third.Token, tok) {
		t.Errorf("token stored again: same %v, token %+v", third.TokenSame, third.Token)
	}
}

func sameToken(a, b Token) bool {
	a.ExpiresAt, b.ExpiresAt = a.ExpiresAt.UTC(), b.ExpiresAt.UTC()
	a.RefreshExpiresAt, b.RefreshExpiresAt = a.RefreshExpiresAt.UTC(), b.RefreshExpiresAt.UTC()
	return a == b
}
