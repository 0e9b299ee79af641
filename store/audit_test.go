package store_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

func TestAudit(t *testing.T) {
	c := newClock()
	db := mustOpen(t, withClock(c))
	g1, _ := db.PutGroup(ctx, "telegram:1", testGroup())
	other := testGroup()
	other.Name = "풋살"
	g2, _ := db.PutGroup(ctx, "slack:U2", other)
	for i := range 5 {
		c.Advance(time.Minute)
		db.PutMember(ctx, "telegram:1", g1.ID, ledger.Member{ID: fmt.Sprint("x", i), Name: "새회원"})
	}
	all, err := db.Audit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 7 {
		t.Fatalf("entries = %d, want 7", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Seq >= all[i-1].Seq || all[i].At.After(all[i-1].At) {
			t.Errorf("entries not newest first: %d then %d", all[i-1].Seq, all[i].Seq)
		}
	}
	newest := all[0]
	if newest.Actor != "telegram:1" || newest.Action != store.ActionMemberPut || newest.Target != "x4" || !newest.At.Equal(c.Now()) {
		t.Errorf("newest = %+v", newest)
	}
	var before, after store.Group
	if json.Unmarshal(newest.Before, &before) != nil || json.Unmarshal(newest.After, &after) != nil || len(after.Members) != len(before.Members)+1 {
		t.Errorf("before/after do not show the added member")
	}
	limited, _ := db.Audit(ctx, store.AuditFilter{Limit: 2})
	if len(limited) != 2 || limited[0].Seq != newest.Seq {
		t.Errorf("limit 2 = %+v", limited)
	}
	only, _ := db.Audit(ctx, store.AuditFilter{GroupID: g2.ID})
	if len(only) != 1 || only[0].Actor != "slack:U2" {
		t.Errorf("group filter = %+v", only)
	}
}
