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

	"github.com/moimbot/moimbot/store"
)

// groupIDs returns the ids of gs.
func groupIDs(gs []store.Group) []string {
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	return ids
}

// indexedGroup is a group for the index tests: its chats and treasurers.
func indexedGroup(id string, chats []store.ChatRef, treasurers, co []store.ChatUser) store.Group {
	g := testGroup()
	g.ID, g.Name = id, "모임 "+id
	g.Settings.Chats, g.Settings.Treasurers, g.Settings.CoTreasurers = chats, treasurers, co
	return g
}

var (
	idxChatA = store.ChatRef{Platform: "telegram", ID: "-100"}
	idxChatB = store.ChatRef{Platform: "slack", ID: "C1"}
	idxChatC = store.ChatRef{Platform: "telegram", ID: "-1000"} // idxChatA's id is a prefix of it
	userT    = store.ChatUser{Platform: "telegram", ID: "7"}
	userS    = store.ChatUser{Platform: "slack", ID: "U7"}
	user77   = store.ChatUser{Platform: "telegram", ID: "77"}
)

// TestChatIndex checks ChatGroups and TreasurerGroups through groups'
// lives: created, a second group in the same chat, chats and treasurers
// changed by PutGroup and UpdateGroup, and a change refused.
func TestChatIndex(t *testing.T) {
	db := mustOpen(t)
	put := func(g store.Group) {
		t.Helper()
		if _, err := db.PutGroup(ctx, "cli", g); err != nil {
			t.Fatalf("put group %s: %v", g.ID, err)
		}
	}
	type want struct {
		chat  store.ChatRef
		user  store.ChatUser
		chats []string // ChatGroups(chat)
		owns  []string // TreasurerGroups(user)
	}
	check := func(step string, wants []want) {
		t.Helper()
		for _, w := range wants {
			gs, err := db.ChatGroups(ctx, w.chat)
			if err != nil {
				t.Fatalf("%s: chat groups of %s: %v", step, w.chat, err)
			}
			if got := groupIDs(gs); !slices.Equal(got, w.chats) {
				t.Errorf("%s: chat groups of %s = %v, want %v", step, w.chat, got, w.chats)
			}
			gs, err = db.TreasurerGroups(ctx, w.user)
			if err != nil {
				t.Fatalf("%s: treasurer groups of %s: %v", step, w.user, err)
			}
			if got := groupIDs(gs); !slices.Equal(got, w.owns) {
				t.Errorf("%s: treasurer groups of %s = %v, want %v", step, w.user, got, w.owns)
			}
		}
		if err := db.Check(ctx); err != nil {
			t.Errorf("%s: check: %v", step, err)
		}
	}

	put(indexedGroup("g1", []store.ChatRef{idxChatA}, []store.ChatUser{userT}, nil))
	check("one group", []want{
		{chat: idxChatA, user: userT, chats: []string{"g1"}, owns: []string{"g1"}},
		{chat: idxChatB, user: userS},
		{chat: idxChatC, user: user77}, // ids that extend another's are other chats
	})

	put(indexedGroup("g2", []store.ChatRef{idxChatB, idxChatC}, []store.ChatUser{userS}, []store.ChatUser{userT}))
	check("a second group", []want{
		{chat: idxChatA, user: userT, chats: []string{"g1"}, owns: []string{"g1", "g2"}},
		{chat: idxChatB, user: userS, chats: []string{"g2"}, owns: []string{"g2"}},
		{chat: idxChatC, user: user77, chats: []string{"g2"}},
	})

	// g1 moves to chat B (beside g2) and changes treasurer; g2 leaves
	// chat C and drops its co-treasurer.
	put(indexedGroup("g1", []store.ChatRef{idxChatB}, []store.ChatUser{user77}, nil))
	put(indexedGroup("g2", []store.ChatRef{idxChatB}, []store.ChatUser{userS}, nil))
	check("changed", []want{
		{chat: idxChatA, user: userT},
		{chat: idxChatB, user: userS, chats: []string{"g1", "g2"}, owns: []string{"g2"}},
		{chat: idxChatC, user: user77, owns: []string{"g1"}},
	})

	// UpdateGroup and PutMember go through the same path.
	if _, err := db.UpdateGroup(ctx, "cli", "g1", func(g *store.Group) error {
		g.Settings.Chats = append(g.Settings.Chats, idxChatA)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	check("updated", []want{{chat: idxChatA, user: user77, chats: []string{"g1"}, owns: []string{"g1"}}})

	// A refused change leaves the index as it was.
	bad := indexedGroup("g2", []store.ChatRef{idxChatC}, []store.ChatUser{userT}, nil)
	bad.Settings.Language = "fr"
	if _, err := db.PutGroup(ctx, "cli", bad); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("put an invalid group: %v, want ErrInvalid", err)
	}
	check("refused", []want{{chat: idxChatC, user: userT}})
}

// TestChatIndexMigration: a schema-3 file (no indexes, no outbox counts)
// gets them when it is opened, and read-only opens of such a file refuse
// to guess.
func TestChatIndexMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v3.db")
	db := mustOpenAt(t, path)
	for _, g := range []store.Group{
		indexedGroup("g1", []store.ChatRef{idxChatA}, []store.ChatUser{userT}, nil),
		indexedGroup("g2", []store.ChatRef{idxChatB}, []store.ChatUser{userS}, []store.ChatUser{userT}),
	} {
		if _, err := db.PutGroup(ctx, "cli", g); err != nil {
			t.Fatal(err)
		}
	}
	for i, group := range []string{"g2", "g1", "g2"} {
		a := store.Account{GroupID: group, FintechUseNum: fmt.Sprintf("19900000000000000000000%d", i)}
		if _, err := db.PutAccount(ctx, "cli", a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Enqueue(ctx, store.OutboxMessage{Key: "k1", Chat: idxChatA}, store.OutboxMessage{Key: "k2", Chat: idxChatB}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Make it a schema-3 file: no indexes, no outbox counts.
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		for _, name := range []string{"chat_groups", "treasurer_groups", "group_accounts"} {
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte("meta")).Delete([]byte("outbox_counts"))
	})
	setRawSchema(t, path, 3)

	old, err := store.Open(ctx, path, store.Options{ReadOnly: true, AnySchema: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.ChatGroups(ctx, idxChatA); !errors.Is(err, store.ErrSchema) {
		t.Errorf("chat groups of a schema-3 file opened as it is: %v, want ErrSchema", err)
	}
	if _, err := old.Accounts(ctx, "g1"); !errors.Is(err, store.ErrSchema) {
		t.Errorf("a group's accounts in a schema-3 file opened as it is: %v, want ErrSchema", err)
	}
	old.Close()

	db = mustOpenAt(t, path)
	gs, err := db.TreasurerGroups(ctx, userT)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := groupIDs(gs), []string{"g1", "g2"}; !slices.Equal(got, want) {
		t.Errorf("treasurer groups after migration = %v, want %v", got, want)
	}
	if gs, err := db.ChatGroups(ctx, idxChatB); err != nil || !slices.Equal(groupIDs(gs), []string{"g2"}) {
		t.Errorf("chat groups after migration = %v, %v, want [g2]", groupIDs(gs), err)
	}
	for group, want := range map[string][]string{"g1": {"a2"}, "g2": {"a1", "a3"}, "g3": nil} {
		accts, err := db.Accounts(ctx, group)
		if err != nil {
			t.Fatal(err)
		}
		if got := accountIDs(accts); !slices.Equal(got, want) {
			t.Errorf("accounts of %s after migration = %v, want %v", group, got, want)
		}
	}
	if st, err := db.OutboxStats(ctx); err != nil || st.Counts[store.StatePending] != 2 {
		t.Errorf("outbox stats after migration = %+v, %v, want 2 pending", st, err)
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("check after migration: %v", err)
	}
}

func accountIDs(as []store.Account) []string {
	var ids []string
	for _, a := range as {
		ids = append(ids, a.ID)
	}
	return ids
}

// TestGroupAccounts: a group's accounts through the index, when accounts
// are added, updated and moved to another group.
func TestGroupAccounts(t *testing.T) {
	db := mustOpen(t)
	for _, id := range []string{"g1", "g2", "g10"} {
		if _, err := db.PutGroup(ctx, "cli", indexedGroup(id, nil, nil, nil)); err != nil {
			t.Fatal(err)
		}
	}
	put := func(a store.Account) store.Account {
		t.Helper()
		a, err := db.PutAccount(ctx, "cli", a)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a1 := put(store.Account{GroupID: "g1", FintechUseNum: "199000000000000000000001"})
	put(store.Account{GroupID: "g10", FintechUseNum: "199000000000000000000002"})
	a3 := put(store.Account{GroupID: "g1", FintechUseNum: "199000000000000000000003"})
	a1.BankName = "토스뱅크"
	put(a1) // an update keeps its entry
	a3.GroupID = "g2"
	put(a3) // a move changes it
	for _, tt := range []struct {
		group string
		want  []string
	}{
		{"g1", []string{"a1"}},
		{"g2", []string{"a3"}},
		{"g10", []string{"a2"}}, // not g1's, though its id starts with g1
		{"", []string{"a1", "a2", "a3"}},
	} {
		accts, err := db.Accounts(ctx, tt.group)
		if err != nil {
			t.Fatal(err)
		}
		if got := accountIDs(accts); !slices.Equal(got, tt.want) {
			t.Errorf("accounts of %q = %v, want %v", tt.group, got, tt.want)
		}
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("check: %v", err)
	}
}

// TestChatIndexCheck: Check names index entries that no group or account
// has and a group's chat that the index lacks.
func TestChatIndexCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "moimbot.db")
	db := mustOpenAt(t, path)
	if _, err := db.PutGroup(ctx, "cli", indexedGroup("g1", []store.ChatRef{idxChatA}, []store.ChatUser{userT}, nil)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	rawUpdate(t, path, func(tx *bolt.Tx) error {
		if err := tx.Bucket([]byte("chat_groups")).Delete([]byte("telegram\x00-100\x00g1")); err != nil {
			return err
		}
		if err := tx.Bucket([]byte("group_accounts")).Put([]byte("g1\x00a9"), nil); err != nil {
			return err
		}
		return tx.Bucket([]byte("treasurer_groups")).Put([]byte("telegram\x009\x00g1"), nil)
	})
	db = mustOpenAt(t, path)
	err := db.Check(ctx)
	for _, want := range []string{`chat_groups index lacks "telegram\x00-100\x00g1"`, `treasurer_groups index has "telegram\x009\x00g1", which no group has`,
		`group_accounts index has "g1\x00a9", which no account has`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("check = %v, want it to say %s", err, want)
		}
	}
}

// TestLinkedGroups: the groups a chat user is linked in, and not those
// of a user whose id only extends theirs.
func TestLinkedGroups(t *testing.T) {
	db := mustOpen(t)
	for _, id := range []string{"g1", "g2", "g3"} {
		if _, err := db.PutGroup(ctx, "cli", indexedGroup(id, nil, nil, nil)); err != nil {
			t.Fatal(err)
		}
	}
	links := []struct {
		group string
		user  store.ChatUser
	}{{"g1", userT}, {"g3", userT}, {"g2", user77}}
	for _, l := range links {
		if err := db.LinkChatUser(ctx, "cli", l.group, l.user, "m1"); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		user store.ChatUser
		want []string
	}{
		{userT, []string{"g1", "g3"}},
		{user77, []string{"g2"}},
		{userS, nil},
	}
	for _, tt := range tests {
		gs, err := db.LinkedGroups(ctx, tt.user)
		if err != nil {
			t.Fatal(err)
		}
		if got := groupIDs(gs); !slices.Equal(got, tt.want) {
			t.Errorf("linked groups of %s = %v, want %v", tt.user, got, tt.want)
		}
	}
}

// TestIndexedIDsRefuseZeroBytes: a chat or person whose platform or id
// holds a zero byte, the indexes' separator, is refused.
func TestIndexedIDsRefuseZeroBytes(t *testing.T) {
	db := mustOpen(t)
	tests := []struct {
		name string
		g    store.Group
	}{
		{"chat platform", indexedGroup("g1", []store.ChatRef{{Platform: "telegram\x00-100", ID: "5"}}, nil, nil)},
		{"chat id", indexedGroup("g1", []store.ChatRef{{Platform: "telegram", ID: "-100\x005"}}, nil, nil)},
		{"treasurer id", indexedGroup("g1", nil, []store.ChatUser{{Platform: "telegram", ID: "7\x00x"}}, nil)},
		{"co-treasurer platform", indexedGroup("g1", nil, nil, []store.ChatUser{{Platform: "tele\x00gram", ID: "7"}})},
	}
	for _, tt := range tests {
		if _, err := db.PutGroup(ctx, "cli", tt.g); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: put = %v, want ErrInvalid", tt.name, err)
		}
	}
}
