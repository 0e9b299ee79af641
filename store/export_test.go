package store_test

import (
	"testing"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

func TestExport(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	rows := []ledger.Deposit{in(0, "김민수", 30000, 130000), in(1, "홍길동", 30000, 160000), out(2, "출금", 10000, 150000)}
	db.Ingest(ctx, a.ID, rows, store.Cursor{}, store.IngestOptions{})
	db.AddManualPayment(ctx, "cli", g.ID, ledger.Payment{MemberID: "m3", Amount: 20000}, "cash")
	ex, err := db.Export(ctx, g.ID, mar)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Group.Name != "독서모임" || ex.AsOf != mar {
		t.Errorf("group %q as of %v", ex.Group.Name, ex.AsOf)
	}
	if len(ex.Statuses) != 3 {
		t.Fatalf("statuses = %d, want 3", len(ex.Statuses))
	}
	if st := ex.Statuses[0]; st.MemberID != "m1" || st.Periods[0].Status != ledger.StatusPaid || st.Periods[1].Status != ledger.StatusUnpaid {
		t.Errorf("m1 = %+v", st)
	}
	if st := ex.Statuses[2]; st.Periods[0].Status != ledger.StatusPaid {
		t.Errorf("m3 (manual payment) = %+v", st)
	}
	if len(ex.Deposits) != 3 {
		t.Fatalf("deposits = %d, want 3", len(ex.Deposits))
	}
	if d := ex.Deposits[0]; d.Decision.Match.Outcome != ledger.OutcomeMatched || len(d.Allocations) != 1 {
		t.Errorf("first deposit = %+v", d)
	}
	if d := ex.Deposits[1]; !d.InReview {
		t.Errorf("second deposit = %+v, want in review", d)
	}
	if len(ex.Manual) != 1 || ex.Manual[0].Note != "cash" {
		t.Errorf("manual = %+v", ex.Manual)
	}
}
