package store_test

import (
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

// TestIngestGap: Ingest reports the first break of the balance chain among
// the stored rows a fetch covers (the row before the fetch included), and
// the cursor keeps the latest row's balance.
func TestIngestGap(t *testing.T) {
	tests := []struct {
		name   string
		stored []ledger.Deposit // ingested first
		fetch  []ledger.Deposit
		// wantAfter and wantBefore are the seconds of the break; -1 for none.
		wantAfter, wantBefore int
		wantBalance           int64
	}{
		{name: "Chains", fetch: []ledger.Deposit{in(0, "a", 30000, 130000), out(1, "b", 20000, 110000), in(2, "c", 5000, 115000)},
			wantAfter: -1, wantBefore: -1, wantBalance: 115000},
		{name: "BreakInsideFetch", fetch: []ledger.Deposit{in(0, "a", 30000, 130000), in(5, "c", 5000, 145000)},
			wantAfter: 0, wantBefore: 5, wantBalance: 145000},
		{name: "BreakWithStoredRowBefore", stored: []ledger.Deposit{in(0, "a", 30000, 130000)},
			fetch: []ledger.Deposit{in(9, "c", 5000, 150000)}, wantAfter: 0, wantBefore: 9, wantBalance: 150000},
		{name: "ChainsWithStoredRowBefore", stored: []ledger.Deposit{in(0, "a", 30000, 130000)},
			fetch: []ledger.Deposit{in(9, "c", 5000, 135000)}, wantAfter: -1, wantBefore: -1, wantBalance: 135000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := mustOpen(t)
			_, a := setup(t, db)
			if len(tt.stored) > 0 {
				if _, err := db.Ingest(ctx, a.ID, tt.stored, store.Cursor{Through: t0.Add(time.Minute)}, store.IngestOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			res, err := db.Ingest(ctx, a.ID, tt.fetch, store.Cursor{Through: t0.Add(time.Hour)}, store.IngestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.wantAfter < 0 && res.Gap != nil:
				t.Errorf("Gap = %+v, want none", res.Gap)
			case tt.wantAfter >= 0 && res.Gap == nil:
				t.Errorf("Gap = nil, want a break after second %d", tt.wantAfter)
			case tt.wantAfter >= 0:
				if got, want := res.Gap.After, t0.Add(time.Duration(tt.wantAfter)*time.Second); !got.Equal(want) {
					t.Errorf("Gap.After = %v, want %v", got, want)
				}
				if got, want := res.Gap.Before, t0.Add(time.Duration(tt.wantBefore)*time.Second); !got.Equal(want) {
					t.Errorf("Gap.Before = %v, want %v", got, want)
				}
			}
			if got := res.Cursor.LastBalance; got != tt.wantBalance {
				t.Errorf("Cursor.LastBalance = %d, want %d", got, tt.wantBalance)
			}
		})
	}
}

// TestSetGap: SetGap keeps the gap in the cursor with its notice, queued
// once per key, and a later Ingest leaves it; nil clears it.
func TestSetGap(t *testing.T) {
	db := mustOpen(t)
	_, a := setup(t, db)
	if _, err := db.Ingest(ctx, a.ID, []ledger.Deposit{in(0, "a", 30000, 130000)}, store.Cursor{Through: t0.Add(time.Hour)}, store.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	gap := &store.Gap{After: t0, Since: t0, Checked: t0, Told: true}
	msg := store.OutboxMessage{Key: "gap/" + a.ID + "/1", Chat: store.ChatRef{Platform: "telegram", ID: "1"}, Text: "gap"}
	for range 2 {
		if err := db.SetGap(ctx, a.ID, gap, msg); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Ingest(ctx, a.ID, nil, store.Cursor{Through: t0.Add(2 * time.Hour)}, store.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	cur, err := db.Cursor(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Gap == nil || !cur.Gap.After.Equal(t0) || !cur.Gap.Told {
		t.Errorf("cursor gap = %+v, want the stored one", cur.Gap)
	}
	if cur.Rows != 1 || !cur.Through.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("cursor = %+v, want 1 row through %v", cur, t0.Add(2*time.Hour))
	}
	msgs, err := db.Messages(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Errorf("%d messages, want 1 (the key queues it once)", len(msgs))
	}
	if err := db.SetGap(ctx, a.ID, nil); err != nil {
		t.Fatal(err)
	}
	if cur, _ := db.Cursor(ctx, a.ID); cur.Gap != nil {
		t.Errorf("cursor gap = %+v after clearing, want nil", cur.Gap)
	}
}
