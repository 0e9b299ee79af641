package store_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

func TestMarkRelinkOnce(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	msg := func(key string) store.OutboxMessage {
		return store.OutboxMessage{Key: key, GroupID: g.ID, Chat: store.ChatRef{Platform: "telegram", ID: "42"}, Text: "relink"}
	}
	for i, want := range []bool{true, false, false} {
		got, err := db.MarkRelink(ctx, a.ID, "O0002", msg("relink/"+string(rune('a'+i))))
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("call %d: first = %v, want %v", i, got, want)
		}
	}
	msgs, err := db.Messages(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(msgs), 1; got != want {
		t.Fatalf("%d messages queued, want %d: the treasurer is told once", got, want)
	}
	acct, err := db.Account(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if acct.Relink == nil || acct.Relink.Reason != "O0002" {
		t.Fatalf("account relink = %+v, want O0002", acct.Relink)
	}
	// Editing the account keeps the mark; clearing it lets a later
	// breakage tell the treasurer again.
	acct.BankName = "카카오뱅크 모임통장"
	acct.Relink = nil
	if _, err := db.PutAccount(ctx, "cli", acct); err != nil {
		t.Fatal(err)
	}
	if acct, _ = db.Account(ctx, a.ID); acct.Relink == nil {
		t.Fatal("PutAccount dropped the relink mark")
	}
	if err := db.ClearRelink(ctx, "telegram:42", a.ID); err != nil {
		t.Fatal(err)
	}
	if acct, _ = db.Account(ctx, a.ID); acct.Relink != nil {
		t.Fatalf("relink = %+v after ClearRelink", acct.Relink)
	}
	if first, err := db.MarkRelink(ctx, a.ID, "refresh failed", msg("relink/again")); err != nil || !first {
		t.Fatalf("MarkRelink after clear = %v, %v; want true", first, err)
	}
	if _, err := db.MarkRelink(ctx, "nope", "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown account: err = %v, want ErrNotFound", err)
	}
	entries, err := db.Audit(ctx, store.AuditFilter{GroupID: g.ID})
	if err != nil {
		t.Fatal(err)
	}
	var marks, clears int
	for _, e := range entries {
		switch e.Action {
		case store.ActionRelinkNeeded:
			marks++
		case store.ActionRelinkDone:
			clears++
		}
	}
	if marks != 2 || clears != 1 {
		t.Errorf("audit: %d relink marks and %d clears, want 2 and 1", marks, clears)
	}
}

func TestRecordRun(t *testing.T) {
	path := t.TempDir() + "/moimbot.db"
	db := mustOpenAt(t, path)
	g, _ := setup(t, db)
	last, err := db.LastRun(ctx, "reminders/"+g.ID)
	if err != nil || !last.IsZero() {
		t.Fatalf("LastRun of a new job = %v, %v; want zero", last, err)
	}
	at := time.Date(2024, 3, 7, 10, 0, 0, 0, ledger.KST())
	m := store.OutboxMessage{Key: "reminder/g1/2024-03/-3", GroupID: g.ID, Chat: store.ChatRef{Platform: "telegram", ID: "-1001"}, Text: "r"}
	ids, err := db.RecordRun(ctx, "reminders/"+g.ID, at, m)
	if err != nil {
		t.Fatal(err)
	}
	// The same reminder again (a catch-up that raced a crash) stores
	// nothing new, and an earlier time does not move the record back.
	again, err := db.RecordRun(ctx, "reminders/"+g.ID, at.Add(-time.Hour), m)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || len(again) != 1 || ids[0] != again[0] {
		t.Errorf("ids %v then %v, want the same single id", ids, again)
	}
	db.Close()
	db = mustOpenAt(t, path)
	last, err = db.LastRun(ctx, "reminders/"+g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !last.Equal(at) {
		t.Errorf("LastRun after reopen = %v, want %v", last, at)
	}
	if _, err := db.RecordRun(ctx, "", at); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("empty job name: err = %v, want ErrInvalid", err)
	}
}

func TestCallCounts(t *testing.T) {
	db := mustOpen(t)
	_, a := setup(t, db)
	rows := []ledger.Deposit{in(0, "김민수", 30000, 130000)}
	if _, err := db.Ingest(ctx, a.ID, rows, store.Cursor{Through: t0.Add(time.Minute)}, store.IngestOptions{Calls: 2}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddCalls(ctx, a.ID, ledger.MonthOf(t0), 1); err != nil {
		t.Fatal(err)
	}
	apr := ledger.NewPeriod(2024, time.April)
	if err := db.AddCalls(ctx, a.ID, apr, 5); err != nil {
		t.Fatal(err)
	}
	got, err := db.CallCounts(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.CallCount{{AccountID: a.ID, Month: ledger.MonthOf(t0), Calls: 3}, {AccountID: a.ID, Month: apr, Calls: 5}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("count %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if err := db.AddCalls(ctx, "nope", apr, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown account: err = %v, want ErrNotFound", err)
	}
}

// TestCallCountsOfOneAccount checks that an account's counts are its own
// when another account's id starts with its id (a1 and a10), and that no
// id lists every account's.
func TestCallCountsOfOneAccount(t *testing.T) {
	db := mustOpen(t)
	g, _ := setup(t, db)
	month := ledger.MonthOf(t0)
	for i, id := range []string{"a1", "a10", "a2"} {
		if _, err := db.PutAccount(ctx, "cli", store.Account{ID: id, GroupID: g.ID, FintechUseNum: "fin-" + id}); err != nil {
			t.Fatal(err)
		}
		if err := db.AddCalls(ctx, id, month, i+1); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		account string
		want    []store.CallCount
	}{
		{"a1", []store.CallCount{{AccountID: "a1", Month: month, Calls: 1}}},
		{"a10", []store.CallCount{{AccountID: "a10", Month: month, Calls: 2}}},
		{"a3", nil},
		{"", []store.CallCount{{AccountID: "a1", Month: month, Calls: 1}, {AccountID: "a10", Month: month, Calls: 2}, {AccountID: "a2", Month: month, Calls: 3}}},
	}
	for _, tt := range tests {
		got, err := db.CallCounts(ctx, tt.account)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("CallCounts(%q) = %+v, want %+v", tt.account, got, tt.want)
		}
	}
}

func TestMarkDead(t *testing.T) {
	c := newClock()
	db := mustOpen(t, withClock(c))
	g, _ := setup(t, db)
	ids, err := db.Enqueue(ctx,
		store.OutboxMessage{Key: "a", GroupID: g.ID, Chat: store.ChatRef{Platform: "telegram", ID: "-1001"}, Text: "one"},
		store.OutboxMessage{Key: "b", GroupID: g.ID, Chat: store.ChatRef{Platform: "telegram", ID: "-1001"}, Text: "two"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.MarkDead(ctx, ids[0], "chat not found"); !errors.Is(err, store.ErrState) {
		t.Fatalf("MarkDead of a pending message: err = %v, want ErrState", err)
	}
	claimed, err := db.Claim(ctx, c.Now(), 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("Claim = %v, %v", claimed, err)
	}
	m, err := db.MarkDead(ctx, claimed[0].ID, "chat not found")
	if err != nil {
		t.Fatal(err)
	}
	if m.State != store.StateDead || m.Attempts != 1 || m.LastError != "chat not found" {
		t.Errorf("message = %+v, want dead after 1 attempt", m)
	}
	// The chat's next message is no longer held up.
	claimed, err = db.Claim(ctx, c.Now(), 10)
	if err != nil || len(claimed) != 1 || claimed[0].ID != ids[1] {
		t.Fatalf("Claim after dead = %v, %v; want message %d", claimed, err, ids[1])
	}
}

func TestNoticeCarriesGroupAndBook(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	var got []int
	notify := func(n store.Notice) []store.OutboxMessage {
		if n.Group.ID != g.ID || len(n.Group.Settings.Chats) != 1 || n.Book == nil {
			t.Errorf("notice group %q chats %v book %v", n.Group.ID, n.Group.Settings.Chats, n.Book)
			return nil
		}
		paid := 0
		for _, s := range n.Book.Statuses(ledger.MonthOf(t0)) {
			for _, p := range s.Periods {
				if p.Period == ledger.MonthOf(t0) && p.Status == ledger.StatusPaid {
					paid++
				}
			}
		}
		got = append(got, paid)
		return nil
	}
	rows := []ledger.Deposit{in(0, "김민수", 90000, 190000), in(1, "이영희", 90000, 280000), in(2, "홍길동", 1000, 281000)}
	if _, err := db.Ingest(ctx, a.ID, rows, store.Cursor{Through: t0.Add(time.Minute)}, store.IngestOptions{Notify: notify}); err != nil {
		t.Fatal(err)
	}
	// Each notice sees the book right after its own deposit.
	want := []int{1, 2, 2}
	if len(got) != len(want) {
		t.Fatalf("paid counts %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("notice %d saw %d paid, want %d", i, got[i], want[i])
		}
	}
}

// TestIngestBatch runs concurrent batched Ingests of different accounts:
// each stores its rows once, with its cursor.
func TestIngestBatch(t *testing.T) {
	db := mustOpen(t)
	g, _ := setup(t, db)
	const n = 8
	ids := make([]string, n)
	for i := range ids {
		a, err := db.PutAccount(ctx, "cli", store.Account{GroupID: g.ID, FintechUseNum: fmt.Sprintf("1990000000000000000001%02d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = a.ID
	}
	errs := make(chan error, n)
	for i := range ids {
		go func() {
			rows := []ledger.Deposit{in(i, "김민수", 30000, 130000+int64(i)), in(i+1, "이영희", 30000, 160000+int64(i))}
			_, err := db.Ingest(ctx, ids[i], rows, store.Cursor{Through: t0.Add(time.Hour)}, store.IngestOptions{Batch: true, Notify: noticeEach, Calls: 1})
			errs <- err
		}()
	}
	for range ids {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		deps, err := db.Deposits(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(deps), 2; got != want {
			t.Errorf("account %s: %d rows, want %d", id, got, want)
		}
	}
	msgs, err := db.Messages(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(msgs), 2*n; got != want {
		t.Errorf("%d messages, want %d", got, want)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

// TestAccountIndexMigration takes a database back to schema 2 (no index of
// accounts by fintech_use_num) and opens it: the migration builds the
// index, and a second link of the same bank account is refused through it.
func TestAccountIndexMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "moimbot.db")
	db := mustOpenAt(t, path)
	g, a := setup(t, db)
	db.Close()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte("account_fins")); err != nil {
			return err
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), be(2))
	})
	db = mustOpenAt(t, path)
	got, err := db.AccountByFintech(ctx, a.FintechUseNum)
	if err != nil || got.ID != a.ID {
		t.Fatalf("AccountByFintech after migration = %+v, %v; want %s", got, err, a.ID)
	}
	if _, err := db.PutAccount(ctx, "cli", store.Account{GroupID: g.ID, FintechUseNum: a.FintechUseNum}); !errors.Is(err, store.ErrExists) {
		t.Errorf("linking the same bank account twice: err = %v, want ErrExists", err)
	}
	// Changing an account's fintech_use_num moves its index entry.
	a.FintechUseNum = "199000000000000000000777"
	if _, err := db.PutAccount(ctx, "cli", a); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AccountByFintech(ctx, "199000000000000000000001"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the old fintech_use_num still finds an account: %v", err)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

// TestOutboxExpiryAndDeadLetters: an expired message is dead without a
// dead letter; a message dead by MarkDead, by used-up attempts or by a
// sender that kept dying has its dead letter queued in the same
// transaction, once.
func TestOutboxExpiryAndDeadLetters(t *testing.T) {
	c := newClock()
	db := mustOpen(t, withClock(c), func(o *store.Options) { o.MaxAttempts = 2 })
	g, _ := setup(t, db)
	db.SetDeadLetter(func(m store.Message, g store.Group) []store.OutboxMessage {
		return []store.OutboxMessage{{Key: fmt.Sprintf("dead/%d", m.ID), GroupID: g.ID, Kind: "dead_letter",
			Chat: store.ChatRef{Platform: "telegram", ID: "42"}, Text: "given up: " + m.Key}}
	})
	chat := func(id string) store.ChatRef { return store.ChatRef{Platform: "telegram", ID: id} }
	ids, err := db.Enqueue(ctx,
		store.OutboxMessage{Key: "reminder", GroupID: g.ID, Chat: chat("-1"), Text: "r", ExpiresAt: c.Now().Add(time.Hour)},
		store.OutboxMessage{Key: "perm", GroupID: g.ID, Chat: chat("-2"), Text: "p"},
		store.OutboxMessage{Key: "tries", GroupID: g.ID, Chat: chat("-3"), Text: "t"},
		store.OutboxMessage{Key: "crash", GroupID: g.ID, Chat: chat("-4"), Text: "c"})
	if err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * time.Hour) // the reminder is stale now
	claimed, err := db.Claim(ctx, c.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(claimed), 3; got != want {
		t.Fatalf("claimed %d, want %d (the expired reminder is not handed out)", got, want)
	}
	if m, _ := db.Message(ctx, ids[0]); m.State != store.StateDead || m.LastError != "expired before delivery" {
		t.Errorf("expired reminder = %s %q", m.State, m.LastError)
	}
	if _, err := db.MarkDead(ctx, ids[1], "chat not found"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.MarkFailed(ctx, ids[2], time.Second, "timeout"); err != nil {
		t.Fatal(err)
	}
	c.Advance(2 * store.DefaultLease) // "crash" never comes back
	claimed, err = db.Claim(ctx, c.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range claimed {
		if m.ID == ids[2] {
			if _, err := db.MarkFailed(ctx, m.ID, time.Second, "timeout"); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.Advance(2 * store.DefaultLease)
	if _, err := db.Claim(ctx, c.Now(), 10); err != nil {
		t.Fatal(err)
	}
	// The letter about "perm" was claimed (it is sending) when "tries"
	// died; "crash" died while the letter about "tries" was pending, and
	// was folded into it.
	var letters, lines []string
	ms, err := db.Messages(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.Kind == store.KindDeadLetter {
			letters = append(letters, m.Text)
			lines = append(lines, strings.Split(m.Text, "\n")...)
		}
	}
	slices.Sort(lines)
	if want := []string{"given up: crash", "given up: perm", "given up: tries"}; !slices.Equal(lines, want) {
		t.Errorf("dead letters tell of %q, want %q", lines, want)
	}
	if want := []string{"given up: perm", "given up: tries\ngiven up: crash"}; !slices.Equal(letters, want) {
		t.Errorf("dead letters %q, want %q", letters, want)
	}
}

// TestDeadLettersDoNotBreed: a dead letter that dies gets no dead letter of
// its own, whatever Kind the DeadLetterFunc gave it, and while a dead
// letter to a chat is pending, later ones to that chat are folded into it.
func TestDeadLettersDoNotBreed(t *testing.T) {
	c := newClock()
	db := mustOpen(t, withClock(c))
	g, _ := setup(t, db)
	treasurer := store.ChatRef{Platform: "telegram", ID: "42"}
	db.SetDeadLetter(func(m store.Message, g store.Group) []store.OutboxMessage {
		// No Kind: the store sets it.
		return []store.OutboxMessage{{Key: fmt.Sprintf("dead/%d", m.ID), GroupID: g.ID, Chat: treasurer, Text: "given up: " + m.Key}}
	})
	count := func() (letters, pending int) {
		t.Helper()
		ms, err := db.Messages(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Kind == store.KindDeadLetter {
				letters++
				if m.State == store.StatePending {
					pending++
				}
			}
		}
		return letters, pending
	}
	// killAll claims every due message and marks it dead, as the
	// dispatcher does on a permanent failure.
	killAll := func() {
		t.Helper()
		claimed, err := db.Claim(ctx, c.Now(), 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range claimed {
			if _, err := db.MarkDead(ctx, m.ID, "chat not found"); err != nil {
				t.Fatal(err)
			}
		}
	}

	var msgs []store.OutboxMessage
	for i := range 5 {
		msgs = append(msgs, store.OutboxMessage{Key: fmt.Sprintf("m%d", i), GroupID: g.ID,
			Chat: store.ChatRef{Platform: "telegram", ID: fmt.Sprint(-100 - i)}, Text: "x"})
	}
	if _, err := db.Enqueue(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	killAll() // five messages in five chats die in one round
	letters, pending := count()
	if letters != 1 || pending != 1 {
		t.Fatalf("after 5 deaths: %d dead letters, %d pending; want 1, 1", letters, pending)
	}
	ms, err := db.Messages(ctx, store.StatePending)
	if err != nil {
		t.Fatal(err)
	}
	if got := ms[0]; got.Folded != 4 || strings.Count(got.Text, "given up: ") != 5 {
		t.Errorf("the dead letter folded %d and tells of %d, want 4 and 5: %q", got.Folded, strings.Count(got.Text, "given up: "), got.Text)
	}
	// The treasurer's chat is gone too: the dead letter dies, and nothing
	// new is queued, round after round.
	for round := range 10 {
		killAll()
		c.Advance(time.Second)
		if letters, pending := count(); letters != 1 || pending != 0 {
			t.Fatalf("round %d: %d dead letters, %d pending; want 1, 0", round+1, letters, pending)
		}
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}
