package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/store"
)

func TestGroups(t *testing.T) {
	t.Run("RoundTrip", func(t *testing.T) {
		db := mustOpen(t)
		want := testGroup()
		want.Members[1].Aliases = []ledger.Alias{{Text: "영희엄마", Learned: true}}
		got, err := db.PutGroup(ctx, "telegram:42", want)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "g1" {
			t.Errorf("id = %q, want g1", got.ID)
		}
		want.ID = got.ID
		for _, read := range []func() (store.Group, error){
			func() (store.Group, error) { return db.Group(ctx, "g1") },
			func() (store.Group, error) { return db.GroupByName(ctx, "독서모임") },
		} {
			g, err := read()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, want) {
				t.Errorf("group = %+v\nwant %+v", g, want)
			}
		}
		all, _ := db.Groups(ctx)
		if len(all) != 1 {
			t.Errorf("groups = %d, want 1", len(all))
		}
		if !want.Settings.IsTreasurer(store.ChatUser{Platform: "telegram", ID: "42"}) {
			t.Error("IsTreasurer(telegram:42) = false")
		}
	})
	t.Run("Rename", func(t *testing.T) {
		db := mustOpen(t)
		g, _ := db.PutGroup(ctx, "cli", testGroup())
		g.Name = "새이름"
		if _, err := db.PutGroup(ctx, "cli", g); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GroupByName(ctx, "독서모임"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("old name: err = %v, want ErrNotFound", err)
		}
		if _, err := db.GroupByName(ctx, "새이름"); err != nil {
			t.Errorf("new name: %v", err)
		}
	})
	t.Run("NameTaken", func(t *testing.T) {
		db := mustOpen(t)
		db.PutGroup(ctx, "cli", testGroup())
		if _, err := db.PutGroup(ctx, "cli", testGroup()); !errors.Is(err, store.ErrExists) {
			t.Errorf("err = %v, want ErrExists", err)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		db := mustOpen(t)
		if _, err := db.Group(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})

	invalid := []struct {
		name   string
		change func(*store.Group)
	}{
		{"NoName", func(g *store.Group) { g.Name = "" }},
		{"NegativeDues", func(g *store.Group) { g.Dues.Amount = -1 }},
		{"DuplicateMember", func(g *store.Group) { g.Members[1].ID = "m1" }},
		{"SlashInMemberID", func(g *store.Group) { g.Members[1].ID = "a/b" }},
		{"SlashInGroupID", func(g *store.Group) { g.ID = "a/b" }},
		{"Language", func(g *store.Group) { g.Settings.Language = "fr" }},
		{"ReminderHour", func(g *store.Group) { g.Settings.Reminder.Hour = 24 }},
		{"ChatWithoutID", func(g *store.Group) { g.Settings.Chats = []store.ChatRef{{Platform: "slack"}} }},
		{"Treasurer", func(g *store.Group) { g.Settings.Treasurers = []store.ChatUser{{ID: "1"}} }},
	}
	for _, tt := range invalid {
		t.Run("Invalid"+tt.name, func(t *testing.T) {
			db := mustOpen(t)
			g := testGroup()
			tt.change(&g)
			if _, err := db.PutGroup(ctx, "cli", g); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
			if all, _ := db.Groups(ctx); len(all) != 0 {
				t.Errorf("an invalid group was stored")
			}
		})
	}
}

func TestPutMember(t *testing.T) {
	db := mustOpen(t)
	g, _ := db.PutGroup(ctx, "cli", testGroup())
	m, err := db.PutMember(ctx, "telegram:42", g.ID, ledger.Member{Name: "최유리", Joined: ledger.NewPeriod(2024, time.March)})
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "m4" {
		t.Errorf("new member id = %q, want m4", m.ID)
	}
	if _, err := db.PutMember(ctx, "telegram:42", g.ID, ledger.Member{ID: "m2", Name: "이영희", Left: ledger.NewPeriod(2024, time.June)}); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Group(ctx, g.ID)
	var ids []string
	for _, m := range got.Members {
		ids = append(ids, m.ID)
	}
	if !reflect.DeepEqual(ids, []string{"m1", "m2", "m3", "m4"}) {
		t.Errorf("roster = %v, want m1..m4 in order", ids)
	}
	if m2, _ := got.Member("m2"); m2.Left != ledger.NewPeriod(2024, time.June) {
		t.Errorf("m2 left = %v", m2.Left)
	}
	entries, _ := db.Audit(ctx, store.AuditFilter{GroupID: g.ID})
	if len(entries) != 3 || entries[0].Action != store.ActionMemberPut || entries[0].Target != "m2" || entries[0].Before == nil {
		t.Errorf("audit = %+v", entries)
	}
}

func TestRemoveMemberWithPayments(t *testing.T) {
	db := mustOpen(t)
	g, _ := setup(t, db)
	if _, err := db.AddManualPayment(ctx, "cli", g.ID, ledger.Payment{MemberID: "m2", Amount: 30000}, "cash"); err != nil {
		t.Fatal(err)
	}
	g.Members = g.Members[:1] // drops m2 (paid) and m3 (not)
	if _, err := db.PutGroup(ctx, "cli", g); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("removing a member with payments: err = %v, want ErrInvalid", err)
	}
}

func TestChatLinks(t *testing.T) {
	db := mustOpen(t)
	g, _ := setup(t, db)
	u := store.ChatUser{Platform: "telegram", ID: "777"}
	if err := db.LinkChatUser(ctx, "telegram:42", g.ID, u, "m1"); err != nil {
		t.Fatal(err)
	}
	if err := db.LinkChatUser(ctx, "telegram:42", g.ID, u, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("link to unknown member: err = %v, want ErrNotFound", err)
	}
	if id, err := db.ChatUserMember(ctx, g.ID, u); err != nil || id != "m1" {
		t.Errorf("member = %q, %v; want m1", id, err)
	}
	db.LinkChatUser(ctx, "telegram:42", g.ID, u, "m2")
	links, _ := db.ChatLinks(ctx, g.ID)
	if want := []store.ChatLink{{GroupID: g.ID, User: u, MemberID: "m2"}}; !reflect.DeepEqual(links, want) {
		t.Errorf("links = %+v, want %+v", links, want)
	}
	if err := db.UnlinkChatUser(ctx, "telegram:42", g.ID, u); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ChatUserMember(ctx, g.ID, u); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after unlink: err = %v, want ErrNotFound", err)
	}
	entries, _ := db.Audit(ctx, store.AuditFilter{Limit: 3})
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	if want := []string{store.ActionChatUnlink, store.ActionChatLink, store.ActionChatLink}; !reflect.DeepEqual(actions, want) {
		t.Errorf("audit actions = %v, want %v", actions, want)
	}
	if u2, err := store.ParseChatUser("slack:U0ABC"); err != nil || u2 != (store.ChatUser{Platform: "slack", ID: "U0ABC"}) {
		t.Errorf("ParseChatUser = %v, %v", u2, err)
	}
	if _, err := store.ParseChatUser("nocolon"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("ParseChatUser(nocolon): err = %v", err)
	}
}

func TestAccounts(t *testing.T) {
	db := mustOpen(t)
	g, a := setup(t, db)
	if a.ID != "a1" || a.Added.IsZero() {
		t.Errorf("account = %+v, want id a1 and an added time", a)
	}
	got, err := db.Account(ctx, "a1")
	if !got.Added.Equal(a.Added) {
		t.Errorf("added = %v, want %v", got.Added, a.Added)
	}
	got.Added = a.Added
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Errorf("account = %+v, %v; want %+v", got, err, a)
	}
	if _, err := db.PutAccount(ctx, "cli", store.Account{GroupID: g.ID, FintechUseNum: a.FintechUseNum}); !errors.Is(err, store.ErrExists) {
		t.Errorf("same fintech_use_num twice: err = %v, want ErrExists", err)
	}
	if _, err := db.PutAccount(ctx, "cli", store.Account{GroupID: "nope", FintechUseNum: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown group: err = %v, want ErrNotFound", err)
	}
	if _, err := db.PutAccount(ctx, "cli", store.Account{GroupID: g.ID}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("no fintech_use_num: err = %v, want ErrInvalid", err)
	}
	a.BankName = "토스뱅크"
	if _, err := db.PutAccount(ctx, "cli", a); err != nil {
		t.Errorf("update: %v", err)
	}
	list, _ := db.Accounts(ctx, g.ID)
	if len(list) != 1 || list[0].BankName != "토스뱅크" {
		t.Errorf("accounts = %+v", list)
	}
	if c, err := db.Cursor(ctx, "a1"); err != nil || c != (store.Cursor{}) {
		t.Errorf("cursor of a new account = %+v, %v", c, err)
	}
	if _, err := db.Cursor(ctx, "a9"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cursor of unknown account: err = %v", err)
	}
}

func TestPutMemberKeepsLearnedAliases(t *testing.T) {
	db := mustOpen(t)
	g := testGroup()
	g.Members[0].Aliases = append(g.Members[0].Aliases, ledger.Alias{Text: "민수아빠", Learned: true})
	sg, err := db.PutGroup(ctx, "cli", g)
	if err != nil {
		t.Fatal(err)
	}
	// The treasurer edits 김민수's dues and sends the member back without
	// the learned alias.
	if _, err := db.PutMember(ctx, "telegram:42", sg.ID, ledger.Member{ID: "m1", Name: "김민수", Dues: 25000, Aliases: []ledger.Alias{{Text: "민수"}}}); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Group(ctx, sg.ID)
	m1, _ := got.Member("m1")
	want := []ledger.Alias{{Text: "민수"}, {Text: "민수아빠", Learned: true}}
	if !reflect.DeepEqual(m1.Aliases, want) || m1.Dues != 25000 {
		t.Errorf("m1 = %+v, want dues 25000 and aliases %v", m1, want)
	}
}

// TestUpdateGroupConcurrent: changes made at once from two goroutines
// through UpdateGroup are all kept (with PutGroup of a copy read earlier,
// one would overwrite the other).
func TestUpdateGroupConcurrent(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	g, err := db.PutGroup(ctx, "cli", testGroup())
	if err != nil {
		t.Fatal(err)
	}
	before := len(g.Members)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range 25 {
				_, err := db.UpdateGroup(ctx, "cli", g.ID, func(g *store.Group) error {
					if w == 0 {
						g.Members = append(g.Members, ledger.Member{ID: fmt.Sprintf("w%d", i), Name: fmt.Sprintf("회원%d", i)})
					} else {
						g.Settings.Reminder.Enabled = !g.Settings.Reminder.Enabled
					}
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got, err := db.Group(ctx, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Members); n != before+25 {
		t.Errorf("%d members, want %d", n, before+25)
	}
	if _, err := db.UpdateGroup(ctx, "cli", g.ID, func(*store.Group) error { return errors.New("no") }); err == nil {
		t.Error("an error from fn was not returned")
	}
}
