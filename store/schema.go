package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout version this code reads and writes. Open
// migrates older files to it, one step at a time.
const SchemaVersion = 4

// migration moves a database from schema to-1 to schema to. Each runs in
// its own read-write transaction, which also records the new version, so a
// crash mid-way leaves the file at the last completed step.
type migration struct {
	to   uint64
	name string
	up   func(tx *bolt.Tx) error
}

// migrations, in order. migrations[i] moves schema i+1 to i+2.
var migrations = []migration{
	{to: 2, name: "member aliases as {text, learned}", up: migrateAliasObjects},
	{to: 3, name: "index of accounts by fintech_use_num", up: migrateAccountIndex},
	{to: 4, name: "indexes of groups by chat and by treasurer, and of accounts by group", up: migrateIndexes},
}

// schemaVersion returns the stored schema version, 0 for a file without a
// meta bucket (a new file).
func schemaVersion(tx *bolt.Tx) (uint64, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, nil
	}
	v := meta.Get(keySchemaVersion)
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: meta has no valid schema version", ErrSchema)
	}
	return binary.BigEndian.Uint64(v), nil
}

func setSchemaVersion(tx *bolt.Tx, v uint64) error {
	return tx.Bucket(bucketMeta).Put(keySchemaVersion, be64(v))
}

func checkVersion(v uint64) error {
	switch {
	case v == 0:
		return fmt.Errorf("%w: not a moimbot database (no schema version)", ErrSchema)
	case v > SchemaVersion:
		return fmt.Errorf("%w: schema version %d is newer than this moimbot's %d; upgrade moimbot", ErrSchema, v, SchemaVersion)
	}
	return nil
}

// init brings a freshly opened file to the current schema and checks the
// secret key.
func (db *DB) init() error {
	if db.readOnly {
		return db.bolt.View(func(tx *bolt.Tx) error {
			v, err := schemaVersion(tx)
			if err != nil {
				return err
			}
			if err := checkVersion(v); err != nil {
				return err
			}
			if v < SchemaVersion && !db.anySchema {
				return fmt.Errorf("%w: schema version %d needs migrating to %d (back it up, then run moimbot migrate)", ErrSchema, v, SchemaVersion)
			}
			return db.checkKey(tx, false)
		})
	}
	// Everything that can refuse the file (not a moimbot database, a newer
	// schema, the wrong key) is checked in a read transaction first: a
	// refused file is left byte for byte as it was, not committed to (a
	// bbolt commit rewrites a meta page even when it changes nothing) and
	// not migrated.
	var v uint64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		if v, err = schemaVersion(tx); err != nil {
			return err
		}
		if v == 0 {
			empty := true
			tx.ForEach(func([]byte, *bolt.Bucket) error { empty = false; return nil })
			if !empty {
				return fmt.Errorf("%w: not a moimbot database (buckets but no meta)", ErrSchema)
			}
			return nil
		}
		if err := checkVersion(v); err != nil {
			return err
		}
		return db.checkKey(tx, false)
	})
	if err != nil {
		return err
	}
	if v == 0 {
		v, err = db.create()
		if err != nil {
			return err
		}
	}
	for _, m := range migrations {
		if m.to <= v {
			continue
		}
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			if err := m.up(tx); err != nil {
				return err
			}
			return setSchemaVersion(tx, m.to)
		})
		if err != nil {
			return fmt.Errorf("migrate schema %d to %d (%s): %w", m.to-1, m.to, m.name, err)
		}
		v = m.to
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return db.checkKey(tx, true)
	})
}

// create lays out a new, empty file: every bucket, the creation time and
// the current schema version, which it returns.
func (db *DB) create() (uint64, error) {
	var v uint64
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		var err error
		if v, err = schemaVersion(tx); err != nil || v != 0 {
			return err
		}
		for _, name := range allBuckets {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		now, _ := db.now().UTC().MarshalText()
		if err := tx.Bucket(bucketMeta).Put(keyCreatedAt, now); err != nil {
			return err
		}
		v = SchemaVersion
		return setSchemaVersion(tx, v)
	})
	return v, err
}

// migrateAliasObjects is schema 1 → 2: schema 1 stored a member's aliases
// as plain strings; schema 2 stores {text, learned} so that aliases learned
// from the treasurer's decisions are told apart. Schema 1 aliases were all
// typed by the treasurer, so none is marked learned. Schema 1 also had no
// group name index; this step builds it.
func migrateAliasObjects(tx *bolt.Tx) error {
	groups := tx.Bucket(bucketGroups)
	if groups == nil {
		return nil
	}
	type update struct{ k, v []byte }
	var updates []update
	err := groups.ForEach(func(k, v []byte) error {
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("group %q: %w", k, err)
		}
		var members []map[string]json.RawMessage
		if raw, ok := rec["members"]; ok {
			if err := json.Unmarshal(raw, &members); err != nil {
				return fmt.Errorf("group %q members: %w", k, err)
			}
		}
		for i, m := range members {
			raw, ok := m["aliases"]
			if !ok {
				continue
			}
			var texts []string
			if err := json.Unmarshal(raw, &texts); err != nil {
				return fmt.Errorf("group %q member %d aliases: %w", k, i+1, err)
			}
			objs := make([]map[string]any, 0, len(texts))
			for _, t := range texts {
				objs = append(objs, map[string]any{"text": t})
			}
			b, err := json.Marshal(objs)
			if err != nil {
				return err
			}
			m["aliases"] = b
		}
		if members != nil {
			b, err := json.Marshal(members)
			if err != nil {
				return err
			}
			rec["members"] = b
		}
		out, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		updates = append(updates, update{append([]byte(nil), k...), out})
		return nil
	})
	if err != nil {
		return err
	}
	for _, u := range updates {
		if err := groups.Put(u.k, u.v); err != nil {
			return err
		}
	}
	// Schema 1 had no name index: build it.
	names, err := tx.CreateBucketIfNotExists(bucketGroupNames)
	if err != nil {
		return err
	}
	return groups.ForEach(func(k, v []byte) error {
		var g struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(v, &g); err != nil {
			return fmt.Errorf("group %q: %w", k, err)
		}
		if g.Name == "" {
			return nil
		}
		if other := names.Get([]byte(g.Name)); other != nil && string(other) != string(k) {
			return fmt.Errorf("groups %q and %q are both named %q", other, k, g.Name)
		}
		return names.Put([]byte(g.Name), k)
	})
}

// forStored decodes every record of bucket (none when there is no such
// bucket) for fn, in key order; what names a record in errors.
func forStored[T any](tx *bolt.Tx, bucket []byte, what string, fn func(*T) error) error {
	b := tx.Bucket(bucket)
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		var r T
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("%s %q: %w", what, k, err)
		}
		return fn(&r)
	})
}

// forStoredGroups decodes every stored group for fn, in id order.
func forStoredGroups(tx *bolt.Tx, fn func(*Group) error) error {
	return forStored(tx, bucketGroups, "group", fn)
}

// forStoredAccounts decodes every stored account for fn, in id order.
func forStoredAccounts(tx *bolt.Tx, fn func(*Account) error) error {
	return forStored(tx, bucketAccounts, "account", fn)
}

// migrateAccountIndex is schema 2 → 3: it builds account_fins, the index of
// accounts by fintech_use_num, so that linking an account no longer decodes
// every stored account to check that the bank account is not linked twice.
func migrateAccountIndex(tx *bolt.Tx) error {
	idx, err := tx.CreateBucketIfNotExists(bucketAcctFins)
	if err != nil {
		return err
	}
	return forStoredAccounts(tx, func(a *Account) error {
		if other := idx.Get([]byte(a.FintechUseNum)); other != nil {
			return fmt.Errorf("accounts %q and %q link the same bank account", other, a.ID)
		}
		return idx.Put([]byte(a.FintechUseNum), []byte(a.ID))
	})
}
