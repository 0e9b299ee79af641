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
	// treasurers), as stored when the deposit was decided. It is shared
	// with the store's cache of decoded groups: read it, never modify it
	// or anything it points to.
	Group Group
	// Book is the group's book right after this deposit was applied, for
	// the standing a notice reports ("6/8명"). It is the store's working
	// copy: read it (Status, Statuses) but never Apply to it, and do not
	// keep it after the NotifyFunc returns.
	Book *ledger.Book
}

// NotifyFunc builds the outbox messages for a notice. It runs while the
// store holds a transaction open (Ingest's read transaction ahead of the
// write, or a write transaction), so it must be quick and pure: no I/O and
// no calls back into the DB (which could deadlock). Ingest may call it more
// than once for a deposit.
type NotifyFunc func(Notice) []OutboxMessage

// ActorMatcher is the actor recorded for decisions the matcher made.
const ActorMatcher = "matcher"

// IngestOptions adjust Ingest.
type IngestOptions struct {
	// Descending says the rows are newest first (KFTC sort_order D); they
	// are oldest first otherwise.
	Descending bool
	// Matcher overrides the group's matcher (ledger.NewMatcher of the
	// account's group, which the store keeps while the group is
	// unchanged). It must be safe for concurrent use: Ingest calls it
	// outside the write transaction.
	Matcher Matcher
	// Notify, when set, builds the messages enqueued for each new deposit.
	Notify NotifyFunc
	// Batch says that other Ingests run at the same time (one per polled
	// account): the work that needs no lock is then done beside them,
	// ahead of the write transaction, and the writes that arrive while a
	// commit is under way are committed together, with one fsync for
	// many accounts. Notify may then be called more than once for a
	// deposit (a group whose other write failed is committed again
	// without it), so it must be pure.
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
//
// With opts.Batch (concurrent Ingests), the work that needs no lock is done
// first, in a read transaction that runs beside the other Ingests: the
// rows a fetch adds, their verdicts, payments and allocations, the
// messages, all encoded. bbolt has one writer, and the write transaction
// then only checks that what that work read is unchanged (the account, the
// group, the group's payments and the stored rows the fetch merges with)
// and writes it; when something changed meanwhile, it does the work again
// itself. A lone Ingest does it all in the write transaction.
func (db *DB) Ingest(ctx context.Context, accountID string, rows []ledger.Deposit, cursor Cursor, opts IngestOptions) (IngestResult, error) {
	rows, err := normaliseRows(rows, opts.Descending)
	if err != nil {
		return IngestResult{}, fmt.Errorf("store: ingest %s: %w", accountID, err)
	}
	op := "ingest " + accountID
	var p *ingestPlan
	write := db.update
	if opts.Batch {
		// Concurrent Ingests: prepare beside them what needs no lock.
		write = db.batch
		err = db.view(ctx, op, func(tx *bolt.Tx) error {
			var err error
			p, err = db.planIngest(tx, accountID, rows, opts)
			return err
		})
		if err != nil {
			return IngestResult{}, err
		}
	}
	var res IngestResult
	err = write(ctx, op, func(tx *bolt.Tx) error {
		res = IngestResult{}
		return db.ingestTx(tx, accountID, rows, cursor, opts, p, &res)
	})
	if err != nil {
		return IngestResult{}, err
	}
	return res, nil
}

// ingestPlan is an Ingest's work done ahead of its write transaction, from
// a read transaction's view of the database. It is never modified once
// made: a batched write may run more than once.
type ingestPlan struct {
	now     time.Time
	acctSum uint64 // the hash of the account's record as read
	acct    Account
	// rows are the transactions the fetch adds, oldest first, with the
	// ids they get.
	rows []plannedRow
	// group is the account's group when rows is not empty.
	group *groupEntry
	// book is set when rows were decided against the group's payments,
	// whose sequence and stamp (see paymentsStamp) were then paySeq and
	// payStamp.
	book     bool
	paySeq   uint64
	payStamp uint64
}

// plannedRow is a transaction a plan adds, and what follows from it.
type plannedRow struct {
	deposit ledger.Deposit
	raw     []byte // the stored row, encoded
	dec     decision
	enc     encodedDecision
	msgs    []OutboxMessage
}

// planIngest works out what storing rows (normalised) adds to the account,
// in a read transaction.
func (db *DB) planIngest(tx *bolt.Tx, accountID string, rows []ledger.Deposit, opts IngestOptions) (*ingestPlan, error) {
	raw := tx.Bucket(bucketAccounts).Get([]byte(accountID))
	if raw == nil {
		return nil, fmt.Errorf("account %q: %w", accountID, ErrNotFound)
	}
	p := &ingestPlan{now: db.now(), acctSum: db.groups.sum(raw)}
	var err error
	if p.acct, err = db.accounts.get(accountID, raw); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return p, nil
	}
	m, err := mergeFetch(tx.Bucket(bucketTxTime).Bucket([]byte(accountID)), rows)
	if err != nil || len(m.adds) == 0 {
		return p, err
	}
	var txSeq uint64
	if txb := tx.Bucket(bucketTxs).Bucket([]byte(accountID)); txb != nil {
		txSeq = txb.Sequence()
	}
	if p.group, err = db.groupEntry(tx, p.acct.GroupID); err != nil {
		return nil, err
	}
	g := &p.group.group
	matcher := opts.Matcher
	if matcher == nil {
		matcher = p.group.matcherOf()
	}
	if b := tx.Bucket(bucketPayments).Bucket([]byte(g.ID)); b != nil {
		p.paySeq = b.Sequence()
	}
	paySeq := p.paySeq
	next := func() (uint64, error) {
		paySeq++
		return paySeq, nil
	}
	var bk *ledger.Book
	for i, a := range m.adds {
		d := rows[a.row]
		d.ID = depositID(accountID, txSeq+uint64(i)+1)
		verdict := matcher.Match(d)
		if bk == nil && (opts.Notify != nil || needsBook(g, d, verdict)) {
			if bk, p.payStamp, err = db.loadBookStamp(tx, &g.Group); err != nil {
				return nil, err
			}
			p.book = true
		}
		r := plannedRow{deposit: d}
		if r.dec, err = decideDeposit(g, bk, accountID, d, verdict, ActorMatcher, "", p.now, next); err != nil {
			return nil, err
		}
		if r.enc, err = r.dec.encode(); err != nil {
			return nil, err
		}
		if r.raw, err = encodeStoredRow(storedRow{Deposit: d, Seen: p.now}); err != nil {
			return nil, err
		}
		if opts.Notify != nil {
			r.msgs = opts.Notify(Notice{Event: EventDeposit, GroupID: g.ID, AccountID: accountID, Deposit: d, Match: r.dec.in.Match,
				Allocations: r.dec.in.Allocations, Actor: ActorMatcher, Group: *g, Book: bk})
		}
		p.rows = append(p.rows, r)
	}
	return p, nil
}

// holds reports whether the plan's rows are what the write transaction
// stored (fresh) and its decisions still stand: the group and, when they
// were read, its payments are as the plan saw them.
func (p *ingestPlan) holds(db *DB, tx *bolt.Tx, fresh []ledger.Deposit) (bool, error) {
	if len(fresh) != len(p.rows) {
		return false, nil
	}
	for i, d := range fresh {
		if !sameDeposit(d, p.rows[i].deposit) {
			return false, nil
		}
	}
	if len(fresh) == 0 {
		return true, nil
	}
	raw := tx.Bucket(bucketGroups).Get([]byte(p.acct.GroupID))
	if raw == nil || db.groups.sum(raw) != p.group.sum {
		return false, nil
	}
	if !p.book {
		return true, nil
	}
	seq, stamp, err := db.paymentsStamp(tx, p.acct.GroupID, nil)
	return seq == p.paySeq && stamp == p.payStamp, err
}

// sameDeposit reports whether a and b are the same stored transaction.
func sameDeposit(a, b ledger.Deposit) bool {
	return a.ID == b.ID && a.At.Equal(b.At) && a.Direction == b.Direction && a.Text == b.Text &&
		a.Amount == b.Amount && a.Balance == b.Balance
}

// ingestTx is Ingest's write transaction: it stores the rows, and the
// plan's decisions and messages when there is a plan and it holds (see
// holds), or works them out itself.
func (db *DB) ingestTx(tx *bolt.Tx, accountID string, rows []ledger.Deposit, cursor Cursor, opts IngestOptions, p *ingestPlan, res *IngestResult) error {
	raw := tx.Bucket(bucketAccounts).Get([]byte(accountID))
	if raw == nil {
		return fmt.Errorf("account %q: %w", accountID, ErrNotFound)
	}
	var (
		acct    Account
		now     time.Time
		planned []plannedRow
	)
	if p != nil {
		acct, now, planned = p.acct, p.now, p.rows
	} else {
		now = db.now()
	}
	if p == nil || db.groups.sum(raw) != p.acctSum {
		var err error
		if acct, err = db.accounts.get(accountID, raw); err != nil {
			return err
		}
	}
	fresh, dups, err := db.storeRows(tx, acct.ID, rows, now, planned)
	if err != nil {
		return err
	}
	res.Duplicates = dups
	ok := p != nil && acct.GroupID == p.acct.GroupID
	if ok {
		if ok, err = p.holds(db, tx, fresh); err != nil {
			return err
		}
	}
	if ok {
		err = db.applyPlan(tx, p, opts, res)
	} else {
		err = db.decideFresh(tx, acct, fresh, now, opts, res)
	}
	if err != nil {
		return err
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
}

// applyPlan writes a plan that holds: its decisions and messages.
func (db *DB) applyPlan(tx *bolt.Tx, p *ingestPlan, opts IngestOptions, res *IngestResult) error {
	pays := 0
	for i := range p.rows {
		r := &p.rows[i]
		if err := r.dec.put(tx, &r.enc); err != nil {
			return err
		}
		pays += len(r.dec.payments)
		in := r.dec.in
		if opts.Notify != nil {
			var err error
			if in.Messages, err = db.enqueueTx(tx, r.msgs); err != nil {
				return err
			}
		}
		res.New = append(res.New, in)
	}
	if pays == 0 {
		return nil
	}
	// The payments were numbered after paySeq, which holds checked.
	b, err := groupPayments(tx, p.acct.GroupID)
	if err != nil {
		return err
	}
	return b.SetSequence(p.paySeq + uint64(pays))
}

// decideFresh decides the rows an Ingest stored, in its write transaction:
// what a plan does ahead of it, for when the plan no longer holds.
func (db *DB) decideFresh(tx *bolt.Tx, acct Account, fresh []ledger.Deposit, now time.Time, opts IngestOptions, res *IngestResult) error {
	if len(fresh) == 0 {
		return nil
	}
	e, err := db.groupEntry(tx, acct.GroupID)
	if err != nil {
		return err
	}
	g := &e.group
	matcher := opts.Matcher
	if matcher == nil {
		matcher = e.matcherOf()
	}
	var (
		bk   *ledger.Book
		pays *bolt.Bucket
	)
	next := func() (uint64, error) {
		if pays == nil {
			var err error
			if pays, err = groupPayments(tx, g.ID); err != nil {
				return 0, err
			}
		}
		return pays.NextSequence()
	}
	for _, d := range fresh {
		m := matcher.Match(d)
		if bk == nil && (opts.Notify != nil || needsBook(g, d, m)) {
			if bk, err = loadBook(tx, &g.Group); err != nil {
				return err
			}
		}
		dec, err := decideDeposit(g, bk, acct.ID, d, m, ActorMatcher, "", now, next)
		if err != nil {
			return err
		}
		if err := dec.put(tx, nil); err != nil {
			return err
		}
		in := dec.in
		if opts.Notify != nil {
			n := Notice{Event: EventDeposit, GroupID: g.ID, AccountID: acct.ID, Deposit: d, Match: in.Match, Allocations: in.Allocations,
				Actor: ActorMatcher, Group: *g, Book: bk}
			if in.Messages, err = db.enqueueTx(tx, opts.Notify(n)); err != nil {
				return err
			}
		}
		res.New = append(res.New, in)
	}
	return nil
}

// groupEntry returns group id as stored, decoded (from the cache when the
// stored bytes are unchanged).
func (db *DB) groupEntry(tx *bolt.Tx, id string) (*groupEntry, error) {
	raw := tx.Bucket(bucketGroups).Get([]byte(id))
	if raw == nil {
		return nil, fmt.Errorf("group %q: %w", id, ErrNotFound)
	}
	return db.groups.get(id, raw)
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

// fetchMerge is how a fetch changes an account's stored rows.
type fetchMerge struct {
	// moves are stored rows whose position in their second changes.
	moves []idxMove
	// adds are the new rows, oldest first.
	adds []rowAdd
	// dups counts fetched rows that were stored already.
	dups int
}

// idxMove is a stored row at a new position in its second.
type idxMove struct {
	sec int64
	seq uint64
	pos uint32
	key rowKey
}

// rowAdd is a new row: rows[row] of the fetch, at position pos of its
// second.
type rowAdd struct {
	row int
	pos uint32
}

// mergeFetch merges a normalised fetch with an account's stored rows, as
// the txtime index idx (nil when none are stored) lists them. It only
// reads.
func mergeFetch(idx *bolt.Bucket, rows []ledger.Deposit) (fetchMerge, error) {
	var out fetchMerge
	if len(rows) == 0 {
		return out, nil
	}
	// The balance after the last stored row before the fetch, for the
	// chain.
	prev, havePrev, err := lastBefore(idx, rows[0].At.Unix())
	if err != nil {
		return out, err
	}
	scan := newSecondScan(idx)
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
		stored, err := scan.entries(sec)
		if err != nil {
			return out, err
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
				out.dups += len(fetchedRows)
				prev, havePrev = storedKeys[len(storedKeys)-1].balance, true
				continue
			}
			merged = mergeSecond(storedKeys, fetchedKeys, e, prev, havePrev)
		}
		for p, s := range merged {
			pos := uint32(p)
			if s.stored < 0 {
				out.adds = append(out.adds, rowAdd{row: run[0] + s.fetched, pos: pos})
				continue
			}
			if s.fetched >= 0 {
				out.dups++
			}
			if en := stored[s.stored]; en.pos != pos {
				out.moves = append(out.moves, idxMove{sec: sec, seq: en.seq, pos: pos, key: en.key})
			}
		}
		last := merged[len(merged)-1]
		if last.stored >= 0 {
			prev = storedKeys[last.stored].balance
		} else {
			prev = fetchedKeys[last.fetched].balance
		}
		havePrev = true
	}
	return out, nil
}

// storeRows merges a normalised fetch into the account's stored rows and
// returns the new rows (with ids), oldest first, and how many fetched rows
// were already stored. A new row that a plan foresaw (the same row with
// the same id) is stored as the plan encoded it.
func (db *DB) storeRows(tx *bolt.Tx, accountID string, rows []ledger.Deposit, now time.Time, planned []plannedRow) ([]ledger.Deposit, int, error) {
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
	txb.FillPercent, idx.FillPercent = appendFill, appendFill
	m, err := mergeFetch(idx, rows)
	if err != nil {
		return nil, 0, err
	}
	for _, mv := range m.moves {
		if err := idx.Put(idxKey(mv.sec, mv.seq), encodeIdx(mv.pos, mv.key)); err != nil {
			return nil, 0, err
		}
	}
	var fresh []ledger.Deposit
	for i, a := range m.adds {
		seq, err := txb.NextSequence()
		if err != nil {
			return nil, 0, err
		}
		d := rows[a.row]
		d.ID = depositID(accountID, seq)
		var raw []byte
		if i < len(planned) && sameDeposit(planned[i].deposit, d) {
			raw = planned[i].raw
		} else if raw, err = encodeStoredRow(storedRow{Deposit: d, Seen: now}); err != nil {
			return nil, 0, err
		}
		if err := txb.Put(be64(seq), raw); err != nil {
			return nil, 0, err
		}
		if err := idx.Put(idxKey(d.At.Unix(), seq), encodeIdx(a.pos, keyOf(d))); err != nil {
			return nil, 0, err
		}
		fresh = append(fresh, d)
	}
	return fresh, m.dups, nil
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
	if idx == nil {
		return 0, false, nil
	}
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

// secondScan reads the stored rows of seconds in ascending order with one
// cursor: a fetch of many seconds is then one walk along the index instead
// of a search from its root for every second.
type secondScan struct {
	c    *bolt.Cursor
	k, v []byte
	at   bool // c is positioned
}

// newSecondScan returns a scan of idx, which may be nil (no rows stored).
func newSecondScan(idx *bolt.Bucket) *secondScan {
	if idx == nil {
		return &secondScan{}
	}
	return &secondScan{c: idx.Cursor()}
}

// scanSkip is how many index entries a scan steps over before it searches
// instead.
const scanSkip = 8

// entries returns the stored rows of second sec in position order; sec
// must not be less than the previous call's.
func (s *secondScan) entries(sec int64) ([]idxEntry, error) {
	if s.c == nil {
		return nil, nil
	}
	p := binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(sec))
	for i := 0; s.at && s.k != nil && bytes.Compare(s.k, p) < 0; i++ {
		if i == scanSkip {
			s.at = false
			break
		}
		s.k, s.v = s.c.Next()
	}
	if !s.at {
		s.k, s.v = s.c.Seek(p)
		s.at = true
	}
	var out []idxEntry
	for ; s.k != nil && bytes.HasPrefix(s.k, p); s.k, s.v = s.c.Next() {
		if len(s.k) != 16 {
			return nil, fmt.Errorf("bad index key %x", s.k)
		}
		pos, key, err := decodeIdx(sec, s.v)
		if err != nil {
			return nil, err
		}
		out = append(out, idxEntry{seq: binary.BigEndian.Uint64(s.k[8:]), pos: pos, key: key})
	}
	slices.SortFunc(out, func(a, b idxEntry) int { return int(a.pos) - int(b.pos) })
	return out, nil
}

// secondEntries returns the stored rows of one second in position order.
func secondEntries(idx *bolt.Bucket, sec int64) ([]idxEntry, error) {
	var out []idxEntry
	if idx == nil {
		return nil, nil
	}
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
	c, err := getCursor(tx, accountID)
	if err != nil {
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
	raw, err := encodeCursor(c)
	if err != nil {
		return c, fmt.Errorf("encode cursor %q: %w", accountID, err)
	}
	return c, b.Put([]byte(accountID), raw)
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
	scan := newSecondScan(idx)
	for k, _ := c.Seek(start); k != nil; {
		sec := int64(binary.BigEndian.Uint64(k))
		if sec > to {
			break
		}
		entries, err := scan.entries(sec)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if havePrev && e.key.pre() != prev.balance {
				return &Gap{After: time.Unix(prev.sec, 0).In(ledger.KST()), Before: time.Unix(e.key.sec, 0).In(ledger.KST())}, nil
			}
			prev, havePrev = e.key, true
		}
		// The scan stands on the next second's first row.
		k = scan.k
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
