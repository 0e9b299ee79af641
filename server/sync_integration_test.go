package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/openbanking/testbed"
	"github.com/moimbot/moimbot/store"
)

// TestSimulatorToStore runs the real parts together: the KFTC client reads
// the simulator over loopback in overlapping, repeated windows in both
// orders, the store ingests every fetch into a real bbolt file with the
// real matcher, and the stored ledger must be exactly the bank's, twins
// included, with every deposit decided once.
func TestSimulatorToStore(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 22, 0, 0, 0, ledger.KST())
	clock := testbed.NewClock(now)
	sim := testbed.New(testbed.Config{Clock: clock, NoMaintenance: true, RateLimit: -1})
	const callback = "http://127.0.0.1/oauth/callback"
	demo, err := testbed.SeedDemo(sim, []string{callback})
	if err != nil {
		t.Fatal(err)
	}
	// Genuine twins: two members' parents sending the same text and amount
	// in the same second, and a refund bounced back and forth.
	twin := now.Add(-time.Hour).Truncate(time.Second)
	for _, p := range []testbed.Posting{
		{InoutType: "입금", PrintContent: "회비", Amount: 30000, At: twin},
		{InoutType: "입금", PrintContent: "회비", Amount: 30000, At: twin},
		{InoutType: "출금", PrintContent: "반환", Amount: 30000, At: twin},
		{InoutType: "입금", PrintContent: "회비", Amount: 30000, At: twin},
	} {
		if _, err := sim.Post(demo.Accounts[0].ID, p); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	client, err := openbanking.New(openbanking.Config{
		BaseURL: srv.URL, ClientID: demo.Institution.ClientID, ClientSecret: demo.Institution.ClientSecret,
		ClientUseCode: demo.Institution.ClientUseCode, RedirectURI: callback, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	state := openbanking.NewState()
	authURL, err := client.AuthorizeURL(state, openbanking.AuthorizeOptions{Scope: "login inquiry"})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := testbed.Consent(ctx, srv.Client(), authURL, demo.User.UserSeqNo, []string{demo.Accounts[0].ID}, true)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := openbanking.ParseCallback(loc.Query(), state)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := client.ExchangeCode(ctx, cb.Code)
	if err != nil {
		t.Fatal(err)
	}
	session := client.NewSession(tok, nil)
	list, err := session.AccountList(ctx, openbanking.AccountListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fin := list.Accounts[0].FintechUseNum

	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "moimbot.db"), store.Options{NoSync: true, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := ledger.MonthOf(now.AddDate(0, -4, 0))
	g, err := db.PutGroup(ctx, "test", store.Group{Group: ledger.Group{
		Name: "독서모임", Dues: ledger.DuesRule{Amount: 30000, Day: 25, Start: start},
		Members: []ledger.Member{
			{ID: "m01", Name: "김민수", Aliases: []ledger.Alias{{Text: "KIM MINSU"}}},
			{ID: "m02", Name: "이지은"}, {ID: "m03", Name: "박서준"}, {ID: "m04", Name: "최유나"},
			{ID: "m05", Name: "정하늘"}, {ID: "m06", Name: "강도윤"}, {ID: "m07", Name: "윤서연"}, {ID: "m08", Name: "한지호"},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	acct, err := db.PutAccount(ctx, "test", store.Account{ID: "a1", GroupID: g.ID, FintechUseNum: fin, Masked: list.Accounts[0].AccountNumMasked})
	if err != nil {
		t.Fatal(err)
	}

	fetch := func(from, to time.Time, desc bool) []ledger.Deposit {
		t.Helper()
		res, err := session.Transactions(ctx, openbanking.TransactionQuery{FintechUseNum: fin, From: from, To: to, Descending: desc})
		if err != nil {
			t.Fatal(err)
		}
		ds := deposits(res.Rows)
		if _, err := db.Ingest(ctx, acct.ID, ds, store.Cursor{Through: to}, store.IngestOptions{Descending: desc}); err != nil {
			t.Fatal(err)
		}
		return ds
	}
	day := func(d int) time.Time { return now.AddDate(0, 0, d) }
	// Overlapping windows, out of order, repeated, in both sort orders.
	fetch(day(-40), day(-20), false)
	fetch(day(-30), day(-10), true)
	fetch(day(-100), day(-35), false)
	fetch(day(-15), day(0), true)
	fetch(day(-30), day(-10), false)
	fetch(day(-2), day(0), false)
	want := fetch(day(-100), day(0), false) // the whole history, last

	got, err := db.Deposits(ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	key := func(d ledger.Deposit) string {
		return fmt.Sprintf("%s %v %s %d %d", d.At.Format(time.DateTime), d.Direction, d.Text, d.Amount, d.Balance)
	}
	if len(got) != len(want) {
		t.Fatalf("stored %d rows, the bank has %d", len(got), len(want))
	}
	for i := range want {
		if key(got[i]) != key(want[i]) {
			t.Errorf("row %d = %s, want %s", i, key(got[i]), key(want[i]))
		}
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
	// Every stored deposit has exactly one decision, and the matcher placed
	// most of the demo's deposits.
	var matched, review, ignored int
	for _, d := range got {
		rec, err := db.Deposit(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch rec.Decision.Match.Outcome {
		case ledger.OutcomeMatched:
			matched++
		case ledger.OutcomeReview:
			review++
		default:
			ignored++
		}
	}
	// The three nameless 회비 twins go to review; interest, the refund and
	// withdrawals are ignored; every other deposit names its member.
	if review != 3 {
		t.Errorf("%d deposits to review, want the 3 nameless twins", review)
	}
	t.Logf("%d rows stored from 7 overlapping fetches: %d matched, %d to review, %d ignored", len(got), matched, review, ignored)
}
