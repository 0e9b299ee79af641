package store

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// The indexes of schema 4 let the bot find the group of a chat, the groups
// of a person and the accounts of a group without reading every group or
// account: each message to the bot needs one of them, and reading and
// decoding ten thousand groups costs about a hundred milliseconds. They
// are kept in the transaction that stores a group or an account, and built
// from the records by schema 4's migration; Check compares them with the
// records.
//
// In the chat and treasurer indexes, a key is the platform, a zero byte,
// the chat's or person's id, a zero byte and the group's id; in the
// account index, the group's id, a zero byte and the account's id. Values
// are empty. None of the parts holds a zero byte (validID for groups and
// accounts, GroupSettings' validation for chats and people), so a key is
// read back unambiguously, and one chat's, person's or group's keys are
// one run of the bucket, in id order.

// refKey is the index key of chat or person {platform, id} in group
// groupID.
func refKey(platform, id, groupID string) []byte {
	k := make([]byte, 0, len(platform)+len(id)+len(groupID)+2)
	k = append(k, platform...)
	k = append(k, 0)
	k = append(k, id...)
	k = append(k, 0)
	return append(k, groupID...)
}

// groupRefs returns group g's keys in the chat index (its Chats) and in the
// treasurer index (its Treasurers and CoTreasurers).
func groupRefs(g *Group) (chats, treasurers [][]byte) {
	for _, c := range g.Settings.Chats {
		chats = append(chats, refKey(c.Platform, c.ID, g.ID))
	}
	for _, u := range slices.Concat(g.Settings.Treasurers, g.Settings.CoTreasurers) {
		treasurers = append(treasurers, refKey(u.Platform, u.ID, g.ID))
	}
	return chats, treasurers
}

// indexGroupTx brings the chat indexes from group before (nil for a new
// group) to group after.
func indexGroupTx(tx *bolt.Tx, before, after *Group) error {
	var oldChats, oldTreasurers [][]byte
	if before != nil {
		oldChats, oldTreasurers = groupRefs(before)
	}
	newChats, newTreasurers := groupRefs(after)
	if err := reindex(tx.Bucket(bucketChatGroups), oldChats, newChats); err != nil {
		return err
	}
	return reindex(tx.Bucket(bucketTreasurerGroups), oldTreasurers, newTreasurers)
}

// reindex deletes the keys of old that are not in cur and puts those of
// cur that are not in old.
func reindex(b *bolt.Bucket, old, cur [][]byte) error {
	for _, k := range old {
		if !slices.ContainsFunc(cur, func(c []byte) bool { return bytes.Equal(c, k) }) {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
	}
	for _, k := range cur {
		if slices.ContainsFunc(old, func(o []byte) bool { return bytes.Equal(o, k) }) {
			continue // kept: rewriting it would only dirty the page
		}
		if err := b.Put(k, nil); err != nil {
			return err
		}
	}
	return nil
}

// indexedGroups reads the groups index b lists under {platform, id}, in
// group id order.
func indexedGroups(tx *bolt.Tx, b *bolt.Bucket, platform, id string) ([]Group, error) {
	if b == nil {
		// A file of an older schema, opened as it is (Options.AnySchema).
		return nil, fmt.Errorf("%w: no chat indexes before schema 4", ErrSchema)
	}
	prefix := refKey(platform, id, "")
	var out []Group
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		groupID := k[len(prefix):]
		if bytes.IndexByte(groupID, 0) >= 0 {
			continue // an id that holds a zero byte, and shares the prefix
		}
		g, err := getGroup(tx, string(groupID))
		if err != nil {
			return nil, fmt.Errorf("index entry %q: %w", k, err)
		}
		out = append(out, g)
	}
	return out, nil
}

// ChatGroups returns the groups that post to chat (have it among their
// Chats), in id order: one, unless two groups were set up in the same
// chat.
func (db *DB) ChatGroups(ctx context.Context, chat ChatRef) ([]Group, error) {
	var out []Group
	err := db.view(ctx, "chat groups", func(tx *bolt.Tx) error {
		var err error
		out, err = indexedGroups(tx, tx.Bucket(bucketChatGroups), chat.Platform, chat.ID)
		return err
	})
	return out, err
}

// TreasurerGroups returns the groups u is a treasurer or co-treasurer of,
// in id order.
func (db *DB) TreasurerGroups(ctx context.Context, u ChatUser) ([]Group, error) {
	var out []Group
	err := db.view(ctx, "treasurer groups", func(tx *bolt.Tx) error {
		var err error
		out, err = indexedGroups(tx, tx.Bucket(bucketTreasurerGroups), u.Platform, u.ID)
		return err
	})
	return out, err
}

// LinkedGroups returns the groups in which chat user u is linked to a
// member (see LinkChatUser), in id order. It reads the links' keys, not
// the groups.
func (db *DB) LinkedGroups(ctx context.Context, u ChatUser) ([]Group, error) {
	suffix := append([]byte{0}, u.String()...)
	var out []Group
	err := db.view(ctx, "linked groups", func(tx *bolt.Tx) error {
		out = nil
		return tx.Bucket(bucketChatLinks).ForEach(func(k, _ []byte) error {
			if !bytes.HasSuffix(k, suffix) {
				return nil
			}
			groupID := k[:len(k)-len(suffix)]
			if bytes.IndexByte(groupID, 0) >= 0 {
				return nil
			}
			g, err := getGroup(tx, string(groupID))
			if err != nil {
				return fmt.Errorf("chat link %q: %w", k, err)
			}
			out = append(out, g)
			return nil
		})
	})
	return out, err
}

// groupAccountKey is account accountID's key in the index of accounts by
// group.
func groupAccountKey(groupID, accountID string) []byte {
	return append(append([]byte(groupID), 0), accountID...)
}

// indexAccountTx brings the index of accounts by group from account
// before (nil for a new account) to account after.
func indexAccountTx(tx *bolt.Tx, before, after *Account) error {
	idx := tx.Bucket(bucketGroupAccounts)
	if before != nil && before.GroupID != after.GroupID {
		if err := idx.Delete(groupAccountKey(before.GroupID, before.ID)); err != nil {
			return err
		}
	}
	return idx.Put(groupAccountKey(after.GroupID, after.ID), nil)
}

// groupAccountsTx returns group groupID's accounts, in id order, through
// the index.
func groupAccountsTx(tx *bolt.Tx, groupID string) ([]Account, error) {
	idx := tx.Bucket(bucketGroupAccounts)
	if idx == nil {
		return nil, fmt.Errorf("%w: no index of accounts by group before schema 4", ErrSchema)
	}
	prefix := groupAccountKey(groupID, "")
	var out []Account
	c := idx.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		id := k[len(prefix):]
		if bytes.IndexByte(id, 0) >= 0 {
			continue
		}
		a, err := getAccount(tx, string(id))
		if err != nil {
			return nil, fmt.Errorf("index entry %q: %w", k, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// migrateIndexes is schema 3 → 4: the chat and treasurer indexes of the
// groups, the index of accounts by group, and the outbox's counts by
// state.
func migrateIndexes(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketChatGroups, bucketTreasurerGroups, bucketGroupAccounts} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	err := forStoredGroups(tx, func(g *Group) error { return indexGroupTx(tx, nil, g) })
	if err != nil {
		return err
	}
	if err := forStoredAccounts(tx, func(a *Account) error { return indexAccountTx(tx, nil, a) }); err != nil {
		return err
	}
	c, err := countAllMessages(tx)
	if err != nil {
		return err
	}
	return writeOutboxCounts(tx, c)
}

// checkChatIndex checks the chat and treasurer indexes against the groups:
// an entry for each chat and treasurer of each group, and no other.
func checkChatIndex(tx *bolt.Tx, p *problems) error {
	want := map[string]map[string]bool{string(bucketChatGroups): {}, string(bucketTreasurerGroups): {}}
	err := forStoredGroups(tx, func(g *Group) error {
		chats, treasurers := groupRefs(g)
		for _, c := range chats {
			want[string(bucketChatGroups)][string(c)] = true
		}
		for _, t := range treasurers {
			want[string(bucketTreasurerGroups)][string(t)] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, name := range [][]byte{bucketChatGroups, bucketTreasurerGroups} {
		if err := diffIndex(tx, p, name, want[string(name)], "group"); err != nil {
			return err
		}
	}
	return nil
}

// diffIndex reports the keys of index bucket name that are not in want
// (what the records say it should hold; whose names the records) and
// those of want it lacks.
func diffIndex(tx *bolt.Tx, p *problems, name []byte, want map[string]bool, whose string) error {
	have := map[string]bool{}
	err := tx.Bucket(name).ForEach(func(k, _ []byte) error {
		have[string(k)] = true
		if !want[string(k)] {
			p.addf("%s index has %q, which no %s has", name, k, whose)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if !have[k] {
			p.addf("%s index lacks %q", name, k)
		}
	}
	return nil
}

// checkGroupAccounts checks the index of accounts by group against the
// accounts: an entry for each account, under its group, and no other.
func checkGroupAccounts(tx *bolt.Tx, p *problems, accts []Account) error {
	want := map[string]bool{}
	for _, a := range accts {
		want[string(groupAccountKey(a.GroupID, a.ID))] = true
	}
	return diffIndex(tx, p, bucketGroupAccounts, want, "account")
}
