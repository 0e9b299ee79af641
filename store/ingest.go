package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/ledger"
)

// Matcher decides whose money a deposit is. *ledger.Matcher implements it.
type Matcher interface {
	Match(ledger.Deposit) ledger.Match
}

var _ Matcher = (*ledger.Matcher)(nil)

// Notice events.
const (
	EventDeposit  = "deposit"  // a new transaction was stored and matched
	EventAssigned = "assigned" // the treasurer assigned a review deposit
)

// Notice is what happened to one deposit, handed to a NotifyFunc to turn
// into chat messages.
type Notice struct {
	Event     string
	GroupID   string
	AccountID string
	Deposit   ledger.Deposit
	Match     ledger.Match
	// Allocations of the deposit's money to members' months; empty unless
	// matched.
	Allocations []ledger.Allocation
	// Actor is who decided: "matcher" for Ingest, the treasurer otherwise.
	Actor string
	// Group is the deposit's group with its settings (chats, language,
	// treasurers), as stored when the deposit was decided.
	Group Group
	// Book is the group's book right after this deposit was applied, for
	// the standing a notice reports ("6/8명"). It is the store's working
	// copy: read it (Status, Statuses) but never Apply to it, and do not
	// keep it after the NotifyFunc returns.
	Book *ledger.Book
}

// NotifyFunc builds the outbox messages for a notice. It runs inside the
// store's write transaction, so it must be quick and pure: no I/O and no
// calls back into the DB (which would deadlock).
type NotifyFunc func(Notice) []OutboxMessage

// ActorMatcher is the actor recorded for decisions the matcher made.
const ActorMatcher = "matcher"

// IngestOptions adjust Ingest.
type IngestOptions struct {
	// Descending says the rows are newest first (KFTC sort_order D); they
	// are oldest first otherwise.
	Descending bool
	// Matcher overrides the group's matcher (ledger.NewMatcher of the
	// account's group).
	Matcher Matcher
	// Notify, when set, builds the messages enqueued for each new deposit.
	Notify NotifyFunc
	// Batch commits this Ingest together with concurrent ones (bbolt's
	// Batch): one fsync for many polled accounts, at the cost of up to
	// 10 ms of latency for a lone caller. Notify may then be called more
	// than once for a deposit (a batch whose other function failed is
	// retried one by one), so it must be pure.
	Batch bool
	// Calls is how many transaction-list calls the fetch took; they are
	// added to the account's call count of the month of cursor.Through
	// (KST) in the same transaction. See AddCalls.
	Calls int
}

// Ingested is one new transaction and what Ingest did with it.
type Ingested struct {
	Deposit     ledger.Deposit
	Match       ledger.Match
	Allocations []ledger.Allocation
	// Messages are the ids of the outbox messages enqueued for it
	// (including ones that already existed under the same key).
	Messages []uint64
}

// IngestResult is what one Ingest stored.
type IngestResult struct {
	// New are the transactions not seen before, oldest first.
	New []Ingested
	// Duplicates counts fetched rows that were already stored.
	Duplicates int
	Cursor     Cursor
	// Gap is the first break of the balance chain among the stored rows
	// from the last one before the fetch through the fetch's last second
	// (Since, Checked and Told unset); nil when they chain.
	Gap *Gap
}

// depositID is the stable id of an account's seq-th stored transaction.
func depositID(accountID string, seq uint64) string {
	return accountID + "/" + strconv.FormatUint(seq, 10)
}

// splitDepositID parses a deposit id.
func splitDepositID(id string) (string, uint64, error) {
	i := strings.LastIndexByte(id, '/')
	if i <= 0 {
		return "", 0, fmt.Errorf("%w: deposit id %q", ErrInvalid, id)
	}
	seq, err := strconv.ParseUint(id[i+1:], 10, 64)
	if err != nil || seq == 0 {
		return "", 0, fmt.Errorf("%w: deposit id %q", ErrInvalid, id)
	}
	return id[:i], seq, nil
}

// storedRow is a transaction as kept in the txs bucket.
type storedRow struct {
	Deposit ledger.Deposit `json:"deposit"`
	// Seen is when the row was first stored.
	Seen time.Time `json:"seen"`
}

// Ingest stores one fetch of an account's transaction list and everything
// that follows from it, in one transaction: the rows not stored before
// (see the package documentation for how duplicates are told from twins),
// the matcher's verdict on each, payments and their allocations for
// matched deposits, review items for the rest, the messages opts.Notify
// builds, and the account's sync cursor. A crash leaves all of it or none.
//
// rows must be in time order (oldest first, or newest first with
// opts.Descending), one contiguous run of the account's transactions as
// the bank lists them, e.g. every page of one transaction_list query.
// cursor.Through is how far the fetch reached; the store fills in the rest
// of the cursor.
func (db *DB) Ingest(ctx context.Context, accountID string, rows []ledger.Deposit, cursor Cursor, opts IngestOptions) (IngestResult, error) {
	rows, err := normaliseRows(rows, opts.Descending)
	if err != nil {
		return IngestResult{}, fmt.Errorf("store: ingest %s: %w", accountID, err)
	}
	var res IngestResult
	write := db.update
	if opts.Batch {
		write = db.batch
	}
	err = write(ctx, "ingest "+accountID, func(tx *bolt.Tx) error {
		res = IngestResult{}
		acct, err := getAccount(tx, accountID)
		if err != nil {
			return err
		}
		g, err := getGroup(tx, acct.GroupID)
		if err != nil {
			return err
		}
		fresh, dups, err := db.storeRows(tx, acct.ID, rows)
		if err != nil {
			return err
		}
		res.Duplicates = dups
		matcher := opts.Matcher
		if matcher == nil && len(fresh) > 0 {
			matcher = ledger.NewMatcher(&g.Group)
		}
		var bk *ledger.Book
		for _, d := range fresh {
			m := matcher.Match(d)
			in, err := db.decide(tx, &g, &bk, acct.ID, d, m, ActorMatcher, "")
			if err != nil {
				return err
			}
			if opts.Notify != nil {
				if bk == nil {
					if bk, err = loadBook(tx, &g.Group); err != nil {
						return err
					}
				}
				n := Notice{Event: EventDeposit, GroupID: g.ID, AccountID: acct.ID, Deposit: d, Match: in.Match, Allocations: in.Allocations, Actor: ActorMatcher, Group: g, Book: bk}
				if in.Messages, err = db.enqueueTx(tx, opts.Notify(n)); err != nil {
					return err
				}
			}
			res.New = append(res.New, in)
		}
		if res.Cursor, err = db.advanceCursor(tx, acct.ID, cursor, fresh); err != nil {
			return err
		}
		if len(rows) > 0 {
			if res.Gap, err = chainGap(tx, acct.ID, rows[0].At.Unix(), rows[len(rows)-1].At.Unix()); err != nil {
				return err
			}
		}
		return addCallsTx(tx, acct.ID, ledger.MonthOf(cursor.Through.In(ledger.KST())), opts.Calls)
	})
	if err != nil {
		return IngestResult{}, err
	}
	return res, nil
}

// normaliseRows copies rows oldest first, with times cut to the second, and
// checks them.
func normaliseRows(in []ledger.Deposit, descending bool) ([]ledger.Deposit, error) {
	rows := slices.Clone(in)
	if descending {
		slices.Reverse(rows)
	}
	for i := range rows {
		d := &rows[i]
		d.ID = ""
		d.At = d.At.Truncate(time.Second)
		switch {
		case d.At.Unix() <= 0:
			return nil, fmt.Errorf("%w: row %d has no time", ErrInvalid, i+1)
		case d.Direction != ledger.In && d.Direction != ledger.Out:
			return nil, fmt.Errorf("%w: row %d has no direction", ErrInvalid, i+1)
		case d.Amount < 0:
			return nil, fmt.Errorf("%w: row %d has a negative amount", ErrInvalid, i+1)
		case i > 0 && d.At.Before(rows[i-1].At):
			return nil, fmt.Errorf("%w: rows are not in time order (row %d)", ErrInvalid, i+1)
		}
	}
	return rows, nil
}

// idxEntry is one stored row of a second, from the txtime index.
type idxEntry struct {
	seq uint64
	pos uint32
	key rowKey
}

// storeRows merges a normalised fetch into the account's stored rows and
// returns the new rows (with ids), oldest first, and how many fetched rows
// were already stored.
func (db *DB) storeRows(tx *bolt.Tx, accountID string, rows []ledger.Deposit) ([]ledger.Deposit, int, error) {
	if len(rows) == 0 {
		return nil, 0, nil
	}
	txb, err := tx.Bucket(bucketTxs).CreateBucketIfNotExists([]byte(accountID))
	if err != nil {
		return nil, 0, err
	}
	idx, err := tx.Bucket(bucketTxTime).CreateBucketIfNotExists([]byte(accountID))
	if err != nil {
		return nil, 0, err
	}
	now := db.now()
	// The balance after the last stored row before the fetch, for the
	// chain.
	prev, havePrev, err := lastBefore(idx, rows[0].At.Unix())
	if err != nil {
		return nil, 0, err
	}
	var fresh []ledger.Deposit
	dups := 0
	runs := secondRuns(rows)
	for r, run := range runs {
		e := edgeInside
		switch {
		case len(runs) == 1:
			e = edgeOnly
		case r == 0:
			e = edgeFirst
		case r == len(runs)-1:
			e = edgeLast
		}
		fetchedRows := rows[run[0]:run[1]]
		sec := fetchedRows[0].At.Unix()
		stored, err := secondEntries(idx, sec)
		if err != nil {
			return nil, 0, err
		}
		storedKeys := make([]rowKey, len(stored))
		for i, s := range stored {
			storedKeys[i] = s.key
		}
		fetchedKeys := make([]rowKey, len(fetchedRows))
		for i, d := range fetchedRows {
			fetchedKeys[i] = keyOf(d)
		}
		var merged []slot
		whole := false
		if e == edgeInside {
			merged, whole = wholeSecond(storedKeys, fetchedKeys)
		}
		if !whole {
			if !hasNew(storedKeys, fetchedKeys) {
				dups += len(fetchedRows)
				prev, havePrev = storedKeys[len(storedKeys)-1].balance, true
				continue
			}
			merged = mergeSecond(storedKeys, fetchedKeys, e, prev, havePrev)
		}
		for p, s := range merged {
			pos := uint32(p)
			if s.stored >= 0 {
				if s.fetched >= 0 {
					dups++
				}
				if en := stored[s.stored]; en.pos != pos {
					if err := idx.Put(idxKey(sec, en.seq), encodeIdx(pos, en.key)); err != nil {
						return nil, 0, err
					}
				}
				continue
			}
			seq, err := txb.NextSequence()
			if err != nil {
				return nil, 0, err
			}
			d := fetchedRows[s.fetched]
			d.ID = depositID(accountID, seq)
			if err := putJSON(txb, be64(seq), storedRow{Deposit: d, Seen: now}); err != nil {
				return nil, 0, err
			}
			if err := idx.Put(idxKey(sec, seq), encodeIdx(pos, fetchedKeys[s.fetched])); err != nil {
				return nil, 0, err
			}
			fresh = append(fresh, d)
		}
		last := merged[len(merged)-1]
		if last.stored >= 0 {
			prev = storedKeys[last.stored].balance
		} else {
			prev = fetchedKeys[last.fetched].balance
		}
		havePrev = true
	}
	return fresh, dups, nil
}

// secondRuns splits time-ordered rows into runs of one second each, as
// [start, end) index pairs.
func secondRuns(rows []ledger.Deposit) [][2]int {
	var runs [][2]int
	start := 0
	for i := 1; i <= len(rows); i++ {
		if i == len(rows) || rows[i].At.Unix() != rows[start].At.Unix() {
			runs = append(runs, [2]int{start, i})
			start = i
		}
	}
	return runs
}

// lastBefore returns the balance after the last stored row of the latest
// second before sec.
func lastBefore(idx *bolt.Bucket, sec int64) (int64, bool, error) {
	c := idx.Cursor()
	k, _ := c.Seek(binary.BigEndian.AppendUint64(nil, uint64(sec)))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k == nil {
		return 0, false, nil
	}
	entries, err := secondEntries(idx, int64(binary.BigEndian.Uint64(k)))
	if err != nil || len(entries) == 0 {
		return 0, false, err
	}
	return entries[len(entries)-1].key.balance, true, nil
}

// secondEntries returns the stored rows of one second in position order.
func secondEntries(idx *bolt.Bucket, sec int64) ([]idxEntry, error) {
	var out []idxEntry
	p := binary.BigEndian.AppendUint64(nil, uint64(sec))
	c := idx.Cursor()
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if len(k) != 16 {
			return nil, fmt.Errorf("bad index key %x", k)
		}
		pos, key, err := decodeIdx(sec, v)
		if err != nil {
			return nil, err
		}
		out = append(out, idxEntry{seq: binary.BigEndian.Uint64(k[8:]), pos: pos, key: key})
	}
	slices.SortFunc(out, func(a, b idxEntry) int { return int(a.pos) - int(b.pos) })
	return out, nil
}

// advanceCursor writes the account's cursor after storing fresh.
func (db *DB) advanceCursor(tx *bolt.Tx, accountID string, in Cursor, fresh []ledger.Deposit) (Cursor, error) {
	b := tx.Bucket(bucketCursors)
	var c Cursor
	if _, err := getJSON(b, []byte(accountID), &c); err != nil {
		return c, err
	}
	if in.Through.After(c.Through) {
		c.Through = in.Through
	}
	c.FetchedAt = db.now()
	if txb := tx.Bucket(bucketTxs).Bucket([]byte(accountID)); txb != nil {
		c.Rows = int64(txb.Sequence())
	}
	for _, d := range fresh {
		if d.At.After(c.LastAt) {
			c.LastAt = d.At
		}
	}
	if idx := tx.Bucket(bucketTxTime).Bucket([]byte(accountID)); idx != nil && len(fresh) > 0 {
		bal, ok, err := lastBefore(idx, math.MaxInt64)
		if err != nil {
			return c, err
		}
		if ok {
			c.LastBalance = bal
		}
	}
	return c, putJSON(b, []byte(accountID), c)
}

// chainGap returns the first break of the balance chain among an account's
// stored rows, from the last row before second from through second to, in
// ledger order (nil when they chain).
func chainGap(tx *bolt.Tx, accountID string, from, to int64) (*Gap, error) {
	idx := tx.Bucket(bucketTxTime).Bucket([]byte(accountID))
	if idx == nil {
		return nil, nil
	}
	c := idx.Cursor()
	start := binary.BigEndian.AppendUint64(nil, uint64(from))
	k, _ := c.Seek(start)
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k != nil {
		start = k[:8]
	}
	var (
		prev     rowKey
		havePrev bool
	)
	for k, _ := c.Seek(start); k != nil; {
		sec := int64(binary.BigEndian.Uint64(k))
		if sec > to {
			break
		}
		entries, err := secondEntries(idx, sec)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if havePrev && e.key.pre() != prev.balance {
				return &Gap{After: time.Unix(prev.sec, 0).In(ledger.KST()), Before: time.Unix(e.key.sec, 0).In(ledger.KST())}, nil
			}
			prev, havePrev = e.key, true
		}
		k, _ = c.Seek(binary.BigEndian.AppendUint64(nil, uint64(sec+1)))
	}
	return nil, nil
}

// SetGap records an account's unclosed balance-chain gap in its cursor (nil
// clears it) and, in the same transaction, enqueues msgs (the treasurer's
// notice, whose key should name the gap so that it is queued once). The
// rest of the cursor is left as Ingest wrote it.
func (db *DB) SetGap(ctx context.Context, accountID string, gap *Gap, msgs ...OutboxMessage) error {
	return db.update(ctx, "set gap "+accountID, func(tx *bolt.Tx) error {
		if _, err := getAccount(tx, accountID); err != nil {
			return err
		}
		b := tx.Bucket(bucketCursors)
		var c Cursor
		if _, err := getJSON(b, []byte(accountID), &c); err != nil {
			return err
		}
		c.Gap = gap
		if err := putJSON(b, []byte(accountID), c); err != nil {
			return err
		}
		_, err := db.enqueueTx(tx, msgs)
		return err
	})
}

// Deposits returns an account's stored transactions in the bank's order.
func (db *DB) Deposits(ctx context.Context, accountID string) ([]ledger.Deposit, error) {
	var out []ledger.Deposit
	err := db.view(ctx, "deposits", func(tx *bolt.Tx) error {
		if _, err := getAccount(tx, accountID); err != nil {
			return err
		}
		var err error
		out, err = depositsTx(tx, accountID)
		return err
	})
	return out, err
}

// depositsTx lists an account's rows in ledger order: by second, then by
// position within the second.
func depositsTx(tx *bolt.Tx, accountID string) ([]ledger.Deposit, error) {
	idx := tx.Bucket(bucketTxTime).Bucket([]byte(accountID))
	txb := tx.Bucket(bucketTxs).Bucket([]byte(accountID))
	if idx == nil || txb == nil {
		return nil, nil
	}
	var out []ledger.Deposit
	var sec []idxEntry
	flush := func() error {
		slices.SortFunc(sec, func(a, b idxEntry) int { return int(a.pos) - int(b.pos) })
		for _, e := range sec {
			var r storedRow
			ok, err := getJSON(txb, be64(e.seq), &r)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("index names missing row %s", depositID(accountID, e.seq))
			}
			out = append(out, r.Deposit)
		}
		sec = sec[:0]
		return nil
	}
	var cur int64 = -1
	err := idx.ForEach(func(k, v []byte) error {
		s := int64(binary.BigEndian.Uint64(k))
		if s != cur {
			if err := flush(); err != nil {
				return err
			}
			cur = s
		}
		pos, key, err := decodeIdx(s, v)
		if err != nil {
			return err
		}
		sec = append(sec, idxEntry{seq: binary.BigEndian.Uint64(k[8:]), pos: pos, key: key})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, flush()
}

// getRow returns a stored transaction by id.
func getRow(tx *bolt.Tx, id string) (ledger.Deposit, error) {
	acct, seq, err := splitDepositID(id)
	if err != nil {
		return ledger.Deposit{}, err
	}
	txb := tx.Bucket(bucketTxs).Bucket([]byte(acct))
	var r storedRow
	ok := false
	if txb != nil {
		ok, err = getJSON(txb, be64(seq), &r)
	}
	if err == nil && !ok {
		err = fmt.Errorf("deposit %q: %w", id, ErrNotFound)
	}
	return r.Deposit, err
}
