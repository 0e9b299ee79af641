package store_test

import (
	"bytes"
	"encoding/json"
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

// TestExportJSONRoundTrip decodes an export's JSON and encodes it again:
// the control socket hands exports over as JSON, and `moimbot export`
// must write the same files from them as from the file.
func TestExportJSONRoundTrip(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	rows := []ledger.Deposit{in(0, "김민수", 30000, 130000), in(1, "홍길동", 30000, 160000), out(2, "출금", 10000, 150000)}
	if _, err := db.Ingest(ctx, a.ID, rows, store.Cursor{}, store.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddManualPayment(ctx, "cli", g.ID, ledger.Payment{MemberID: "m3", Amount: 20000}, "cash"); err != nil {
		t.Fatal(err)
	}
	ex, err := db.Export(ctx, g.ID, mar)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	var back store.Export
	if err := json.Unmarshal(want, &back); err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("after a round trip:\n%s\nwant\n%s", got, want)
	}
	if back.Group.Settings.Language != ex.Group.Settings.Language || back.AsOf != mar {
		t.Errorf("language %q as of %v, want %q as of %v", back.Group.Settings.Language, back.AsOf, ex.Group.Settings.Language, mar)
	}
}
