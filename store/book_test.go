package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

func TestAssign(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	db.Ingest(ctx, a.ID, []ledger.Deposit{in(0, "홍길동", 30000, 130000)}, store.Cursor{}, store.IngestOptions{})
	review, _ := db.Review(ctx, g.ID)
	if len(review) != 1 {
		t.Fatalf("review = %+v", review)
	}
	id := review[0].Deposit.ID

	t.Run("Errors", func(t *testing.T) {
		if _, err := db.Assign(ctx, "telegram:42", id, "nobody", store.AssignOptions{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown member: err = %v", err)
		}
		if _, err := db.Assign(ctx, "telegram:42", "a1/99", "m2", store.AssignOptions{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown deposit: err = %v", err)
		}
		if _, err := db.Assign(ctx, "", id, "m2", store.AssignOptions{}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("no actor: err = %v", err)
		}
	})

	res, err := db.Assign(ctx, "telegram:42", id, "m2", store.AssignOptions{Notify: noticeEach})
	if err != nil {
		t.Fatal(err)
	}
	if want := []ledger.Allocation{{MemberID: "m2", Period: jan, Amount: 30000, Ref: id}}; !slices.Equal(res.Allocations, want) {
		t.Errorf("allocations = %+v, want %+v", res.Allocations, want)
	}
	if !res.LearnedNew || res.Learned != (ledger.Alias{Text: "홍길동", Learned: true}) || res.LearnErr != nil {
		t.Errorf("learned %+v new %v err %v", res.Learned, res.LearnedNew, res.LearnErr)
	}
	if len(res.Messages) != 1 {
		t.Errorf("messages = %v, want one", res.Messages)
	}
	if review, _ := db.Review(ctx, g.ID); len(review) != 0 {
		t.Errorf("review after assign = %+v", review)
	}
	stored, _ := db.Group(ctx, g.ID)
	if m2, _ := stored.Member("m2"); !slices.Contains(m2.Aliases, ledger.Alias{Text: "홍길동", Learned: true}) {
		t.Errorf("m2 aliases = %+v, want the learned 홍길동", m2.Aliases)
	}
	entries, _ := db.Audit(ctx, store.AuditFilter{Limit: 1})
	if len(entries) != 1 || entries[0].Action != store.ActionReviewAssign || entries[0].Actor != "telegram:42" || entries[0].Target != id {
		t.Fatalf("audit = %+v", entries)
	}
	var after struct {
		Decision store.MatchRecord `json:"decision"`
		Learned  *ledger.Alias     `json:"learned"`
	}
	if err := json.Unmarshal(entries[0].After, &after); err != nil || after.Decision.By != "telegram:42" || after.Learned == nil {
		t.Errorf("audit after = %s (%v)", entries[0].After, err)
	}
	if _, err := db.Assign(ctx, "telegram:42", id, "m2", store.AssignOptions{}); !errors.Is(err, store.ErrState) {
		t.Errorf("assign twice: err = %v, want ErrState", err)
	}

	// The learned alias matches the next deposit by itself.
	r2, err := db.Ingest(ctx, a.ID, []ledger.Deposit{in(60, "홍길동", 30000, 160000)}, store.Cursor{}, store.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := r2.New[0].Match; m.Outcome != ledger.OutcomeMatched || m.Shares[0].MemberID != "m2" || m.Reason.Code != ledger.ReasonLearned {
		t.Errorf("next deposit: %+v", m)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

func TestAssignMaskedTextLearnsNothing(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	db.Ingest(ctx, a.ID, []ledger.Deposit{in(0, "김*수", 30000, 130000)}, store.Cursor{}, store.IngestOptions{})
	review, _ := db.Review(ctx, g.ID)
	if len(review) != 1 {
		t.Fatalf("review = %+v", review)
	}
	res, err := db.Assign(ctx, "telegram:42", review[0].Deposit.ID, "m1", store.AssignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.LearnedNew || !errors.Is(res.LearnErr, ledger.ErrMaskedText) {
		t.Errorf("learned %v, err %v; want ErrMaskedText", res.LearnedNew, res.LearnErr)
	}
}

func TestIgnore(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	db.Ingest(ctx, a.ID, []ledger.Deposit{in(0, "홍길동", 30000, 130000)}, store.Cursor{}, store.IngestOptions{})
	if err := db.Ignore(ctx, "telegram:42", "a1/1", "refund of the venue deposit"); err != nil {
		t.Fatal(err)
	}
	rec, _ := db.Deposit(ctx, "a1/1")
	if rec.Decision.Match.Outcome != ledger.OutcomeIgnored || rec.InReview || rec.Decision.Note == "" {
		t.Errorf("decision = %+v", rec.Decision)
	}
	if review, _ := db.Review(ctx, g.ID); len(review) != 0 {
		t.Errorf("review = %+v", review)
	}
	if err := db.Ignore(ctx, "telegram:42", "a1/1", ""); !errors.Is(err, store.ErrState) {
		t.Errorf("ignore twice: err = %v", err)
	}
	// Unassign takes it back to review.
	if err := db.Unassign(ctx, "telegram:42", "a1/1"); err != nil {
		t.Fatal(err)
	}
	if review, _ := db.Review(ctx, g.ID); len(review) != 1 {
		t.Errorf("review after unassign = %+v", review)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

func TestUnassignReallocates(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	db.Ingest(ctx, a.ID, []ledger.Deposit{in(0, "김민수", 30000, 130000), in(60, "김민수", 30000, 160000)}, store.Cursor{}, store.IngestOptions{})
	if rec, _ := db.Deposit(ctx, "a1/2"); rec.Allocations[0].Period != feb {
		t.Fatalf("second payment went to %v, want February", rec.Allocations[0].Period)
	}
	if err := db.Unassign(ctx, "telegram:42", "a1/1"); err != nil {
		t.Fatal(err)
	}
	if err := db.Unassign(ctx, "telegram:42", "a1/1"); !errors.Is(err, store.ErrState) {
		t.Errorf("unassign twice: err = %v", err)
	}
	rec, _ := db.Deposit(ctx, "a1/2")
	if want := []ledger.Allocation{{MemberID: "m1", Period: jan, Amount: 30000, Ref: "a1/2"}}; !slices.Equal(rec.Allocations, want) {
		t.Errorf("after unassigning the first: %+v, want %+v", rec.Allocations, want)
	}
	first, _ := db.Deposit(ctx, "a1/1")
	if !first.InReview || len(first.Allocations) != 0 || first.Decision.Match.Outcome != ledger.OutcomeReview {
		t.Errorf("first = %+v", first)
	}
	pays, _ := db.Payments(ctx, g.ID)
	if len(pays) != 2 || !pays[0].Voided || pays[0].VoidedBy != "telegram:42" {
		t.Errorf("payments = %+v", pays)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

func TestManualPayments(t *testing.T) {
	db := mustOpen(t)
	g, _ := setup(t, db)
	rec, err := db.AddManualPayment(ctx, "telegram:42", g.ID, ledger.Payment{MemberID: "m3", Amount: 40000}, "cash at the meeting")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Payment.Ref != "manual/1" || rec.Source != store.SourceManual || rec.Payment.At.IsZero() {
		t.Errorf("payment = %+v", rec)
	}
	want := []ledger.Allocation{{MemberID: "m3", Period: jan, Amount: 20000, Ref: "manual/1"}, {MemberID: "m3", Period: feb, Amount: 20000, Ref: "manual/1"}}
	if !slices.Equal(rec.Allocations, want) {
		t.Errorf("allocations = %+v, want %+v", rec.Allocations, want)
	}
	for _, tt := range []struct {
		name string
		p    ledger.Payment
		want error
	}{
		{"UnknownMember", ledger.Payment{MemberID: "m9", Amount: 1}, store.ErrNotFound},
		{"ZeroAmount", ledger.Payment{MemberID: "m1"}, store.ErrInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := db.AddManualPayment(ctx, "cli", g.ID, tt.p, ""); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if err := db.VoidPayment(ctx, "telegram:42", g.ID, "a1/1"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("void a deposit ref: err = %v", err)
	}
	if err := db.VoidPayment(ctx, "telegram:42", g.ID, "manual/7"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("void unknown: err = %v", err)
	}
	if err := db.VoidPayment(ctx, "telegram:42", g.ID, "manual/1"); err != nil {
		t.Fatal(err)
	}
	if err := db.VoidPayment(ctx, "telegram:42", g.ID, "manual/1"); !errors.Is(err, store.ErrState) {
		t.Errorf("void twice: err = %v", err)
	}
	bk, _ := db.Book(ctx, g.ID)
	if st, _ := bk.Status("m3", jan); st.Periods[0].Paid != 0 {
		t.Errorf("voided payment still counts: %+v", st)
	}
	entries, _ := db.Audit(ctx, store.AuditFilter{GroupID: g.ID, Limit: 2})
	if len(entries) != 2 || entries[0].Action != store.ActionVoidPayment || entries[1].Action != store.ActionManualPayment {
		t.Errorf("audit = %+v", entries)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

func TestPutGroupReallocates(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	db.Ingest(ctx, a.ID, []ledger.Deposit{in(0, "김민수", 60000, 160000)}, store.Cursor{}, store.IngestOptions{})
	g.Dues.Amount = 20000
	if _, err := db.PutGroup(ctx, "telegram:42", g); err != nil {
		t.Fatal(err)
	}
	rec, _ := db.Deposit(ctx, "a1/1")
	want := []ledger.Allocation{
		{MemberID: "m1", Period: jan, Amount: 20000, Ref: "a1/1"},
		{MemberID: "m1", Period: feb, Amount: 20000, Ref: "a1/1"},
		{MemberID: "m1", Period: mar, Amount: 20000, Ref: "a1/1"},
	}
	if !slices.Equal(rec.Allocations, want) {
		t.Errorf("allocations = %+v, want %+v", rec.Allocations, want)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

// TestUnassignForgetsLearnedAlias is the wrong assignment taken back: the
// alias it taught must go with it, or the same text would keep matching
// the wrong member every month.
func TestUnassignForgetsLearnedAlias(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	if _, err := db.Ingest(ctx, a.ID, []ledger.Deposit{in(0, "김민슈", 30000, 130000)}, store.Cursor{}, store.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := db.Assign(ctx, "telegram:42", "a1/1", "m2", store.AssignOptions{}) // the wrong member
	if err != nil || !res.LearnedNew || res.Learned.Text != "김민슈" {
		t.Fatalf("assign: %+v, %v", res, err)
	}
	if err := db.Unassign(ctx, "telegram:42", "a1/1"); err != nil {
		t.Fatal(err)
	}
	got, err := db.Group(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m2, _ := got.Member("m2"); len(m2.Aliases) != 0 {
		t.Errorf("m2 aliases after unassign = %+v, want none", m2.Aliases)
	}
	res, err = db.Assign(ctx, "telegram:42", "a1/1", "m1", store.AssignOptions{}) // the right one
	if err != nil || res.LearnErr != nil || !res.LearnedNew {
		t.Fatalf("reassign: %+v, %v", res, err)
	}
	// Next month the same text matches the right member by itself.
	next, err := db.Ingest(ctx, a.ID, []ledger.Deposit{in(3600, "김민슈", 30000, 160000)}, store.Cursor{}, store.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := next.New[0].Match; m.Outcome != ledger.OutcomeMatched || m.Shares[0].MemberID != "m1" {
		t.Errorf("next deposit = %v %v (%s), want matched to m1", m.Outcome, m.Shares, m.Reason)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

// TestDuesChangeKeepsHistory: raising dues from a month on, through the
// ledger's SetDues and PutGroup, leaves the months before it as paid.
func TestDuesChangeKeepsHistory(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	if _, err := db.Ingest(ctx, a.ID, []ledger.Deposit{in(0, "김민수", 90000, 190000)}, store.Cursor{}, store.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	g.SetDues(ledger.NewPeriod(2024, time.April), 35000)
	if _, err := db.PutGroup(ctx, "telegram:42", g); err != nil {
		t.Fatal(err)
	}
	bk, err := db.Book(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := bk.Status("m1", ledger.NewPeriod(2024, time.April))
	var got []string
	for _, p := range st.Periods {
		got = append(got, fmt.Sprintf("%s:%s:%d", p.Period, p.Status, p.Due))
	}
	want := []string{"2024-01:paid:30000", "2024-02:paid:30000", "2024-03:paid:30000", "2024-04:unpaid:35000"}
	if !slices.Equal(got, want) {
		t.Errorf("after raising dues from April: %v, want %v", got, want)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}
