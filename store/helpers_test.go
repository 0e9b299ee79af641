package store_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

var ctx = context.Background()

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2024, 3, 15, 12, 0, 0, 0, ledger.KST())}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testKey is a fixed key for tests.
func testKey(tb testing.TB, b byte) *store.Cipher {
	tb.Helper()
	k := make([]byte, store.KeySize)
	for i := range k {
		k[i] = b + byte(i)
	}
	c, err := store.NewCipher(k)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// mustOpen opens a fresh database in a temporary directory (NoSync, test
// clock and key unless opts say otherwise) and closes it at the end of the
// test.
func mustOpen(tb testing.TB, opts ...func(*store.Options)) *store.DB {
	tb.Helper()
	return mustOpenAt(tb, filepath.Join(tb.TempDir(), "moimbot.db"), opts...)
}

func mustOpenAt(tb testing.TB, path string, opts ...func(*store.Options)) *store.DB {
	tb.Helper()
	o := store.Options{NoSync: true, Now: newClock().Now, Timeout: time.Second}
	for _, f := range opts {
		f(&o)
	}
	db, err := store.Open(ctx, path, o)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func withClock(c *clock) func(*store.Options) { return func(o *store.Options) { o.Now = c.Now } }

func withKey(c *store.Cipher) func(*store.Options) { return func(o *store.Options) { o.Cipher = c } }

// testGroup is a small group: dues 30,000 on the 10th from January 2024.
func testGroup() store.Group {
	return store.Group{
		Group: ledger.Group{
			Name: "독서모임",
			Dues: ledger.DuesRule{Amount: 30000, Day: 10, Start: ledger.NewPeriod(2024, time.January)},
			Members: []ledger.Member{
				{ID: "m1", Name: "김민수", Aliases: []ledger.Alias{{Text: "민수"}}},
				{ID: "m2", Name: "이영희"},
				{ID: "m3", Name: "박지성", Dues: 20000},
			},
			Ignore: []string{"이자"},
		},
		Settings: store.GroupSettings{
			Language:   "ko",
			Reminder:   store.Reminder{Enabled: true, Days: []int{-3, 0}, Hour: 9},
			Chats:      []store.ChatRef{{Platform: "telegram", ID: "-1001"}},
			Treasurers: []store.ChatUser{{Platform: "telegram", ID: "42"}},
		},
	}
}

// setup stores testGroup and one account of it.
func setup(tb testing.TB, db *store.DB) (store.Group, store.Account) {
	tb.Helper()
	g, err := db.PutGroup(ctx, "cli", testGroup())
	if err != nil {
		tb.Fatalf("put group: %v", err)
	}
	a, err := db.PutAccount(ctx, "cli", store.Account{GroupID: g.ID, FintechUseNum: "199000000000000000000001", BankName: "카카오뱅크", Masked: "3333-**-***1234"})
	if err != nil {
		tb.Fatalf("put account: %v", err)
	}
	return g, a
}

var t0 = time.Date(2024, 3, 10, 9, 0, 0, 0, ledger.KST())

// in and out build rows: seconds after t0, text, amount, balance after.
func in(sec int, text string, amount, balance int64) ledger.Deposit {
	return ledger.Deposit{At: t0.Add(time.Duration(sec) * time.Second), Direction: ledger.In, Text: text, Amount: amount, Balance: balance}
}

func out(sec int, text string, amount, balance int64) ledger.Deposit {
	return ledger.Deposit{At: t0.Add(time.Duration(sec) * time.Second), Direction: ledger.Out, Text: text, Amount: amount, Balance: balance}
}

func sameLedger(a, b []ledger.Deposit) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !x.At.Equal(y.At) || x.Direction != y.Direction || x.Text != y.Text || x.Amount != y.Amount || x.Balance != y.Balance {
			return false
		}
	}
	return true
}
