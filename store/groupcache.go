package store

import (
	"encoding/json"
	"fmt"
	"hash/maphash"
	"sync"

	"github.com/moimbot/moimbot/ledger"
)

// groupCache keeps each group's decoded record and its matcher, so that an
// Ingest neither decodes the group nor rebuilds the matcher (which
// normalises every name and alias) while the group is unchanged. An entry
// is keyed by a hash of the group's stored bytes, not by a revision that
// every writer would have to bump: a group changed by any path (PutGroup,
// a learned alias, a restore) hashes differently, and an entry built from
// a transaction that later rolled back is still right for those bytes.
// The hash is maphash's 64 bits with a seed random to the process, so two
// different records share an entry with a chance of 2^-64, and no one can
// craft a record for that.
//
// At most max entries are kept; past that an arbitrary one is dropped.
type groupCache struct {
	seed maphash.Seed
	max  int

	mu sync.Mutex
	m  map[string]*groupEntry
}

// groupEntry is one group as stored: decoded once, never modified.
type groupEntry struct {
	sum   uint64
	group Group

	once    sync.Once
	matcher *ledger.Matcher
}

func newGroupCache(max int) *groupCache {
	return &groupCache{seed: maphash.MakeSeed(), max: max, m: make(map[string]*groupEntry)}
}

// clear drops every entry.
func (c *groupCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}

// sum returns the hash entries are keyed by.
func (c *groupCache) sum(raw []byte) uint64 { return maphash.Bytes(c.seed, raw) }

// get returns the entry of group id stored as raw, decoding raw when the
// cache holds no entry for these bytes. raw may be memory of a bbolt
// transaction: it is not kept.
func (c *groupCache) get(id string, raw []byte) (*groupEntry, error) {
	sum := c.sum(raw)
	c.mu.Lock()
	e := c.m[id]
	c.mu.Unlock()
	if e != nil && e.sum == sum {
		return e, nil
	}
	e = &groupEntry{sum: sum}
	if err := json.Unmarshal(raw, &e.group); err != nil {
		return nil, fmt.Errorf("decode %q: %w", id, err)
	}
	if c.max <= 0 {
		return e, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[id]; old != nil && old.sum == sum {
		return old, nil // another caller decoded the same bytes meanwhile
	}
	if _, ok := c.m[id]; !ok && len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[id] = e
	return e, nil
}

// accountCache keeps decoded account records the way groupCache keeps
// groups, for the reads every sync pass and Ingest make: a record decoded
// once serves every pass until the account changes. get returns copies.
type accountCache struct {
	seed maphash.Seed
	max  int

	mu sync.Mutex
	m  map[string]cachedAccount
}

type cachedAccount struct {
	sum  uint64
	acct Account
}

func newAccountCache(seed maphash.Seed, max int) *accountCache {
	return &accountCache{seed: seed, max: max, m: make(map[string]cachedAccount)}
}

// clear drops every entry.
func (c *accountCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}

// get returns account id as stored in raw (memory of a bbolt transaction,
// not kept).
func (c *accountCache) get(id string, raw []byte) (Account, error) {
	sum := maphash.Bytes(c.seed, raw)
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if ok && e.sum == sum {
		a := e.acct
		if a.Relink != nil {
			r := *a.Relink
			a.Relink = &r
		}
		return a, nil
	}
	var a Account
	if err := json.Unmarshal(raw, &a); err != nil {
		return Account{}, fmt.Errorf("decode account %q: %w", id, err)
	}
	if c.max <= 0 {
		return a, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[id]; !ok && len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	cached := a
	if a.Relink != nil {
		r := *a.Relink
		cached.Relink = &r
	}
	c.m[id] = cachedAccount{sum: sum, acct: cached}
	return a, nil
}

// matcherOf returns the group's matcher, built on first use.
func (e *groupEntry) matcherOf() *ledger.Matcher {
	// The entry's group is never modified: the matcher may share it.
	e.once.Do(func() { e.matcher = ledger.SharedMatcher(&e.group.Group) })
	return e.matcher
}
