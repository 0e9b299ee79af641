package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/ledger"
)

// maxProblems bounds the problems Check reports.
const maxProblems = 20

// problems collects what Check finds.
type problems struct{ msgs []string }

func (p *problems) addf(format string, args ...any) {
	p.msgs = append(p.msgs, fmt.Errorf(format, args...).Error())
}

// Check verifies the database's invariants and returns every problem found
// (at most 20, joined), or nil:
//   - the file is sound (see checkFile), else Check returns ErrDamaged
//     saying what it found and checks nothing more;
//   - bbolt's own page checks pass;
//   - every stored transaction has a unique id matching its key, one index
//     entry and a decision; positions within a second are 0..n-1; each
//     account's balances chain (a row's balance before equals the previous
//     row's balance after);
//   - each sync cursor counts exactly the stored rows and names the latest;
//   - every payment's allocations add up to it and name its member, every
//     deposit payment points at a stored transaction whose decision lists
//     it, replaying the payments reproduces the stored allocations, and per
//     member allocations add up to payments;
//   - review items and decisions agree;
//   - the indexes of accounts by fintech_use_num and by group, and of
//     groups by chat and by treasurer, hold exactly the stored accounts'
//     and groups' entries;
//   - no idempotency key names two outbox messages, and the open-message
//     index holds exactly the pending and sending ones.
//
// The problems are sorted, so the same database always gives the same
// one-line error.
func (db *DB) Check(ctx context.Context) error {
	var p problems
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: check: %w", err)
	}
	if err := guard(func() error { return db.checkPages(&p) }); err != nil {
		return fmt.Errorf("store: check: %w", err)
	}
	err := db.view(ctx, "check", func(tx *bolt.Tx) error {
		rows, err := checkTransactions(tx, &p)
		if err != nil {
			return err
		}
		if err := checkDecisions(tx, &p, rows); err != nil {
			return err
		}
		if err := checkPayments(tx, &p, rows); err != nil {
			return err
		}
		if err := checkAccounts(tx, &p); err != nil {
			return err
		}
		if err := checkChatIndex(tx, &p); err != nil {
			return err
		}
		return checkOutbox(tx, &p)
	})
	if err != nil {
		return err
	}
	if len(p.msgs) == 0 {
		return nil
	}
	slices.Sort(p.msgs)
	shown := p.msgs[:min(len(p.msgs), maxProblems)]
	more := ""
	if len(p.msgs) > len(shown) {
		more = fmt.Sprintf("; and %d more", len(p.msgs)-len(shown))
	}
	return fmt.Errorf("store: check: %d problems: %s%s", len(p.msgs), strings.Join(shown, "; "), more)
}

// checkPages checks the file with plain reads (checkFile), then runs
// bbolt's page check. bbolt checks in a goroutine of its own, where a
// fault on a damaged page could not be recovered: checkFile, which never
// faults, goes first. Both run inside one transaction, writable when the
// database is: bbolt's check is safe beside writers only so (rolled back,
// it changes nothing), and no page checkFile reads is rewritten meanwhile.
func (db *DB) checkPages(p *problems) error {
	tx, err := db.bolt.Begin(!db.readOnly)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := checkFile(db.path); err != nil {
		return err
	}
	if err := pageCheck(tx); err != nil {
		p.addf("bbolt: %w", err)
	}
	return nil
}

// checkTransactions checks rows, index and cursors, and returns every
// stored deposit by id.
func checkTransactions(tx *bolt.Tx, p *problems) (map[string]ledger.Deposit, error) {
	all := make(map[string]ledger.Deposit)
	accounts, err := accountsTx(tx, "")
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool)
	for _, a := range accounts {
		known[a.ID] = true
	}
	txs := tx.Bucket(bucketTxs)
	err = txs.ForEachBucket(func(name []byte) error {
		acct := string(name)
		if !known[acct] {
			p.addf("transactions of unknown account %q", acct)
		}
		txb := txs.Bucket(name)
		count := 0
		err := txb.ForEach(func(k, v []byte) error {
			count++
			var r storedRow
			if err := json.Unmarshal(v, &r); err != nil {
				p.addf("row %s/%x: %v", acct, k, err)
				return nil
			}
			id := depositID(acct, binary.BigEndian.Uint64(k))
			if r.Deposit.ID != id {
				p.addf("row %s holds id %q", id, r.Deposit.ID)
			}
			if _, dup := all[r.Deposit.ID]; dup {
				p.addf("transaction id %q is stored twice", r.Deposit.ID)
			}
			all[r.Deposit.ID] = r.Deposit
			return nil
		})
		if err != nil {
			return err
		}
		if uint64(count) != txb.Sequence() {
			p.addf("account %q: %d rows but sequence %d", acct, count, txb.Sequence())
		}
		// The index: one entry per row, positions 0..n-1 per second.
		idx := tx.Bucket(bucketTxTime).Bucket(name)
		indexed := 0
		var ordered []ledger.Deposit
		if idx != nil {
			var cur int64 = -1
			var pos []uint32
			flush := func() {
				slices.Sort(pos)
				for i, q := range pos {
					if q != uint32(i) {
						p.addf("account %q second %d: positions %v are not 0..%d", acct, cur, pos, len(pos)-1)
						break
					}
				}
				pos = pos[:0]
			}
			err := idx.ForEach(func(k, v []byte) error {
				indexed++
				sec, seq := int64(binary.BigEndian.Uint64(k)), binary.BigEndian.Uint64(k[8:])
				if sec != cur {
					flush()
					cur = sec
				}
				q, key, err := decodeIdx(sec, v)
				if err != nil {
					p.addf("index %s/%x: %v", acct, k, err)
					return nil
				}
				pos = append(pos, q)
				d, ok := all[depositID(acct, seq)]
				if !ok {
					p.addf("index entry %x of account %q names no row", k, acct)
				} else if keyOf(d) != key {
					p.addf("index entry of %s disagrees with the row", d.ID)
				}
				return nil
			})
			if err != nil {
				return err
			}
			flush()
			if ordered, err = depositsTx(tx, acct); err != nil {
				p.addf("account %q: %v", acct, err)
			}
		}
		if indexed != count {
			p.addf("account %q: %d rows but %d index entries", acct, count, indexed)
		}
		for i := 1; i < len(ordered); i++ {
			if prev, d := ordered[i-1], ordered[i]; keyOf(d).pre() != prev.Balance {
				p.addf("account %q: balance chain breaks between %s (after %d) and %s (before %d)", acct, prev.ID, prev.Balance, d.ID, keyOf(d).pre())
			}
		}
		var c Cursor
		if ok, err := getJSON(tx.Bucket(bucketCursors), name, &c); err != nil {
			p.addf("cursor of %q: %v", acct, err)
		} else if ok {
			if c.Rows != int64(count) {
				p.addf("cursor of %q counts %d rows, %d stored", acct, c.Rows, count)
			}
			var last ledger.Deposit
			if len(ordered) > 0 {
				last = ordered[len(ordered)-1]
			}
			if !c.LastAt.Equal(last.At) {
				p.addf("cursor of %q names %v as the latest row, the latest is %v", acct, c.LastAt, last.At)
			}
		} else if count > 0 {
			p.addf("account %q has rows but no cursor", acct)
		}
		return nil
	})
	return all, err
}

func checkDecisions(tx *bolt.Tx, p *problems, rows map[string]ledger.Deposit) error {
	decided := make(map[string]bool)
	matches := tx.Bucket(bucketMatches)
	review := tx.Bucket(bucketReview)
	err := matches.ForEach(func(k, v []byte) error {
		var rec MatchRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			p.addf("decision %q: %v", k, err)
			return nil
		}
		id := string(k)
		decided[id] = true
		if _, ok := rows[id]; !ok {
			p.addf("decision %q names no stored transaction", id)
		}
		inReview := review.Get(k) != nil
		switch rec.Match.Outcome {
		case ledger.OutcomeReview:
			if !inReview {
				p.addf("deposit %q needs review but is not in the queue", id)
			}
		default:
			if inReview {
				p.addf("deposit %q is %s but in the review queue", id, rec.Match.Outcome)
			}
		}
		if (rec.Match.Outcome == ledger.OutcomeMatched) != (len(rec.Payments) > 0) {
			p.addf("deposit %q is %s with %d payments", id, rec.Match.Outcome, len(rec.Payments))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for id := range rows {
		if !decided[id] {
			p.addf("transaction %q has no decision", id)
		}
	}
	return review.ForEach(func(k, _ []byte) error {
		if !decided[string(k)] {
			p.addf("review item %q has no decision", k)
		}
		return nil
	})
}

func checkPayments(tx *bolt.Tx, p *problems, rows map[string]ledger.Deposit) error {
	matches := tx.Bucket(bucketMatches)
	pays := tx.Bucket(bucketPayments)
	return pays.ForEachBucket(func(name []byte) error {
		gid := string(name)
		g, err := getGroup(tx, gid)
		if err != nil {
			p.addf("payments of group %q: %v", gid, err)
			return nil
		}
		paid := make(map[string]int64)
		allocated := make(map[string]int64)
		bk := ledger.NewBook(&g.Group)
		err = forPayments(tx, gid, func(pr PaymentRecord) error {
			ref := pr.Payment.Ref
			if pr.Voided {
				if len(pr.Allocations) > 0 {
					p.addf("void payment %q of group %q keeps allocations", ref, gid)
				}
				return nil
			}
			paid[pr.Payment.MemberID] += pr.Payment.Amount
			var sum int64
			for _, a := range pr.Allocations {
				sum += a.Amount
				allocated[a.MemberID] += a.Amount
				if a.MemberID != pr.Payment.MemberID || a.Ref != ref {
					p.addf("payment %q of group %q has an allocation for %s/%s", ref, gid, a.MemberID, a.Ref)
				}
			}
			if sum != pr.Payment.Amount {
				p.addf("payment %q of group %q: allocations add up to %d, not %d", ref, gid, sum, pr.Payment.Amount)
			}
			switch pr.Source {
			case SourceDeposit:
				if _, ok := rows[ref]; !ok {
					p.addf("allocation of group %q points at missing transaction %q", gid, ref)
				}
				var rec MatchRecord
				if ok, _ := getJSON(matches, []byte(ref), &rec); !ok || !slices.Contains(rec.Payments, pr.Seq) {
					p.addf("payment %d of group %q: the decision on %q does not list it", pr.Seq, gid, ref)
				}
			case SourceManual:
				if ref != fmt.Sprintf("%s/%d", SourceManual, pr.Seq) {
					p.addf("manual payment %d of group %q has ref %q", pr.Seq, gid, ref)
				}
			default:
				p.addf("payment %d of group %q has source %q", pr.Seq, gid, pr.Source)
			}
			replay, err := bk.Apply(pr.Payment)
			if err != nil {
				p.addf("payment %q of group %q does not replay: %v", ref, gid, err)
			} else if !slices.Equal(replay, pr.Allocations) {
				p.addf("payment %q of group %q: replaying gives other allocations", ref, gid)
			}
			return nil
		})
		for m, amt := range paid {
			if allocated[m] != amt {
				p.addf("member %q of group %q paid %d but %d is allocated", m, gid, amt, allocated[m])
			}
		}
		return err
	})
}

func checkOutbox(tx *bolt.Tx, p *problems) error {
	out := tx.Bucket(bucketOutbox)
	keys := tx.Bucket(bucketOutboxKeys)
	open := tx.Bucket(bucketOutboxOpen)
	byKey := make(map[string]uint64)
	var counted outboxCounts
	err := out.ForEach(func(k, v []byte) error {
		var m Message
		if err := json.Unmarshal(v, &m); err != nil {
			p.addf("message %x: %v", k, err)
			return nil
		}
		if m.State >= StatePending && m.State <= StateDead {
			counted[m.State]++
		}
		id := binary.BigEndian.Uint64(k)
		if m.ID != id {
			p.addf("message %d holds id %d", id, m.ID)
		}
		if other, dup := byKey[m.Key]; dup {
			p.addf("messages %d and %d share key %q", other, id, m.Key)
		}
		byKey[m.Key] = id
		if v := keys.Get([]byte(m.Key)); len(v) != 8 || binary.BigEndian.Uint64(v) != id {
			p.addf("key %q of message %d is not indexed to it", m.Key, id)
		}
		if chat := open.Get(k); (chat != nil) != m.State.open() {
			p.addf("message %d is %s but the open index says %v", id, m.State, chat != nil)
		} else if chat != nil && string(chat) != m.Chat.String() {
			p.addf("open index puts message %d in chat %q, not %q", id, chat, m.Chat.String())
		}
		return nil
	})
	if err != nil {
		return err
	}
	if kept, err := readOutboxCounts(tx); err != nil {
		p.addf("%v", err)
	} else if kept != counted {
		p.addf("the outbox counts say %s, the messages %s", kept, counted)
	}
	err = keys.ForEach(func(k, v []byte) error {
		if id, ok := byKey[string(k)]; !ok || len(v) != 8 || binary.BigEndian.Uint64(v) != id {
			p.addf("idempotency key %q names no message", k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return open.ForEach(func(k, _ []byte) error {
		if out.Get(k) == nil {
			p.addf("open index names missing message %x", k)
		}
		return nil
	})
}

// checkAccounts checks the index of accounts by fintech_use_num (one entry
// per account, naming it) and the index of accounts by group.
func checkAccounts(tx *bolt.Tx, p *problems) error {
	idx := tx.Bucket(bucketAcctFins)
	var accts []Account
	err := forStoredAccounts(tx, func(a *Account) error {
		accts = append(accts, *a)
		if id := idx.Get([]byte(a.FintechUseNum)); string(id) != a.ID {
			p.addf("account %s: the fintech_use_num index names %q", a.ID, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if got := idx.Stats().KeyN; got != len(accts) {
		p.addf("the fintech_use_num index has %d entries for %d accounts", got, len(accts))
	}
	return checkGroupAccounts(tx, p, accts)
}

// bbolt's file format, version 2 (go.etcd.io/bbolt/internal/common), as
// much of it as checkFile reads. bbolt writes it in the machine's byte
// order.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltHeaderSize = 16 // a page: id u64, flags u16, count u16, overflow u32
	boltElemSize   = 16 // branch: pos u32, ksize u32, child u64; leaf: flags u32, pos u32, ksize u32, vsize u32
	boltBucketSize = 16 // a bucket value: root page u64 (0: inline), sequence u64
	boltMetaEnd    = boltHeaderSize + 64
	boltBranch     = 0x01
	boltLeaf       = 0x02
	boltFreelist   = 0x10
	boltBucketFlag = 0x01
	boltNoFreelist = ^uint64(0)
	// boltMaxDepth bounds the nesting of pages and buckets checkFile
	// follows; bbolt's trees are a few levels deep.
	boltMaxDepth = 64
)

// boltMeta is what checkFile uses of a meta page.
type boltMeta struct {
	pageSize uint64
	root     uint64 // the root bucket's page
	freelist uint64 // the freelist's page, or boltNoFreelist
	hwm      uint64 // the high water mark: pages 0..hwm-1 are in use or free
	txid     uint64
}

// parseMeta decodes the meta page at the start of p and checks it as bbolt
// does: magic number, format version, checksum.
func parseMeta(p []byte) (boltMeta, error) {
	ne := binary.NativeEndian
	if len(p) < boltMetaEnd {
		return boltMeta{}, errors.New("cut short")
	}
	if m := ne.Uint32(p[16:]); m != boltMagic {
		return boltMeta{}, errors.New("no bbolt magic number")
	}
	if v := ne.Uint32(p[20:]); v != boltVersion {
		return boltMeta{}, fmt.Errorf("bbolt format version %d, not %d", v, boltVersion)
	}
	h := fnv.New64a()
	h.Write(p[16:72])
	if h.Sum64() != ne.Uint64(p[72:]) {
		return boltMeta{}, errors.New("checksum mismatch")
	}
	return boltMeta{
		pageSize: uint64(ne.Uint32(p[24:])),
		root:     ne.Uint64(p[32:]),
		freelist: ne.Uint64(p[48:]),
		hwm:      ne.Uint64(p[56:]),
		txid:     ne.Uint64(p[64:]),
	}, nil
}

// fileCheck is one run of checkFile.
type fileCheck struct {
	f    *os.File
	size uint64
	meta boltMeta
	used []bool // pages reached so far (meta, freelist, tree)
	free []bool // pages the freelist lists
}

// damagef returns an ErrDamaged error saying what is wrong.
func damagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDamaged, fmt.Sprintf(format, args...))
}

// checkFile checks the bbolt file at path with plain reads, never mapping
// it. bbolt trusts the pages it maps: on a truncated file it faults
// (SIGBUS) reading past the end, overwritten pages make it panic or follow
// wild page ids, sometimes in goroutines of its own (its page check, its
// freelist rebuild) that neither recover nor debug.SetPanicOnFault in the
// caller reaches, and it initialises, so writes, an empty file. checkFile
// checks what bbolt relies on to read the file safely: a valid meta page, every page below the high water mark inside
// the file, a freelist whose page ids are in range, and a tree whose every
// page is in range, named as itself, a branch or a leaf, reached once and
// not free, with elements, keys and values inside their page and keys in
// order. Damage comes back as ErrDamaged; a file that cannot be read gives
// the read error (os.ErrNotExist for a missing file).
//
// The file must not be written meanwhile: callers hold the lock file, or a
// bbolt transaction that keeps the pages read from being reused.
func checkFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	c := fileCheck{f: f, size: uint64(fi.Size())}
	if c.size == 0 {
		return damagef("the file is empty")
	}
	if err := c.readMeta(); err != nil {
		return err
	}
	c.used = make([]bool, c.meta.hwm)
	c.free = make([]bool, c.meta.hwm)
	c.used[0], c.used[1] = true, true
	if err := c.freelist(); err != nil {
		return err
	}
	return c.tree(c.meta.root, nil, nil, 0)
}

// read reads len(buf) bytes at off, which lie inside the file unless it
// shrinks meanwhile.
func (c *fileCheck) read(buf []byte, off uint64) error {
	_, err := c.f.ReadAt(buf, int64(off))
	if errors.Is(err, io.EOF) {
		return damagef("the file is cut short at byte %d", off)
	}
	return err
}

// readMeta finds the page size as bbolt does (from the first meta page,
// else from the second at any possible page size) and picks the valid meta
// page with the higher transaction id, as bbolt does.
func (c *fileCheck) readMeta() error {
	buf := make([]byte, 4096)
	var pageSize uint64
	if n, _ := c.f.ReadAt(buf, 0); n == len(buf) {
		if m, err := parseMeta(buf); err == nil {
			pageSize = m.pageSize
		}
	}
	for i := 0; pageSize == 0 && i <= 14; i++ {
		pos := uint64(1024) << i
		if pos+1024 >= c.size {
			break
		}
		n, _ := c.f.ReadAt(buf, int64(pos))
		if m, err := parseMeta(buf[:n]); err == nil {
			pageSize = m.pageSize
		}
	}
	switch {
	case pageSize == 0:
		return damagef("no valid bbolt meta page: not a database file, or its first pages are overwritten")
	case pageSize < 1024 || pageSize > 1<<24:
		return damagef("the meta page gives a page size of %d bytes", pageSize)
	case c.size < 2*pageSize:
		return damagef("the file is %d bytes, shorter than its two meta pages (%d bytes)", c.size, 2*pageSize)
	}
	var metas [2]boltMeta
	var errs [2]error
	for i := range metas {
		if errs[i] = c.read(buf[:boltMetaEnd], uint64(i)*pageSize); errs[i] == nil {
			metas[i], errs[i] = parseMeta(buf[:boltMetaEnd])
		}
		if errs[i] == nil && metas[i].pageSize != pageSize {
			errs[i] = fmt.Errorf("page size %d, not %d", metas[i].pageSize, pageSize)
		}
	}
	switch {
	case errs[0] != nil && errs[1] != nil:
		return damagef("both meta pages are invalid (%v; %v)", errs[0], errs[1])
	case errs[1] != nil, errs[0] == nil && metas[0].txid >= metas[1].txid:
		c.meta = metas[0]
	default:
		c.meta = metas[1]
	}
	m := c.meta
	switch {
	case m.hwm < 3 || m.root < 2 || m.root >= m.hwm:
		return damagef("the meta page names page %d as the root of %d pages", m.root, m.hwm)
	case m.hwm > c.size/m.pageSize:
		return damagef("the file is cut short: %d bytes, but its %d pages of %d bytes need %d", c.size, m.hwm, m.pageSize, m.hwm*m.pageSize)
	}
	return nil
}

// page reads page id with its overflow pages after checking that they lie
// below the high water mark, name themselves, and were not reached before.
func (c *fileCheck) page(id uint64, what string) ([]byte, error) {
	ne := binary.NativeEndian
	ps := c.meta.pageSize
	if id < 2 || id >= c.meta.hwm {
		return nil, damagef("%s is page %d, outside pages 2..%d", what, id, c.meta.hwm-1)
	}
	p := make([]byte, ps)
	if err := c.read(p, id*ps); err != nil {
		return nil, err
	}
	if got := ne.Uint64(p); got != id {
		return nil, damagef("page %d (%s) is overwritten: its header names page %d", id, what, got)
	}
	last := id + uint64(ne.Uint32(p[12:]))
	if last >= c.meta.hwm {
		return nil, damagef("page %d (%s) runs on to page %d, past the last page %d", id, what, last, c.meta.hwm-1)
	}
	for i := id; i <= last; i++ {
		switch {
		case c.used[i]:
			return nil, damagef("page %d (%s) is used twice", i, what)
		case c.free[i]:
			return nil, damagef("page %d (%s) is in use but listed as free", i, what)
		}
		c.used[i] = true
	}
	if last > id {
		p = append(p, make([]byte, (last-id)*ps)...)
		if err := c.read(p[ps:], (id+1)*ps); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// freelist checks the freelist page and the page ids it lists.
func (c *fileCheck) freelist() error {
	if c.meta.freelist == boltNoFreelist {
		return nil // bbolt rebuilds it from the tree
	}
	ne := binary.NativeEndian
	p, err := c.page(c.meta.freelist, "the freelist")
	if err != nil {
		return err
	}
	if flags := ne.Uint16(p[8:]); flags != boltFreelist {
		return damagef("page %d is of type %#x, not the freelist", c.meta.freelist, flags)
	}
	start, count := uint64(boltHeaderSize), uint64(ne.Uint16(p[10:]))
	if count == 0xFFFF { // the count is the first element
		if len(p) < boltHeaderSize+8 {
			return damagef("freelist page %d is cut short", c.meta.freelist)
		}
		start, count = boltHeaderSize+8, ne.Uint64(p[boltHeaderSize:])
	}
	if count > (uint64(len(p))-start)/8 {
		return damagef("freelist page %d lists %d pages, more than it holds", c.meta.freelist, count)
	}
	for i := range count {
		id := ne.Uint64(p[start+8*i:])
		switch {
		case id < 2 || id >= c.meta.hwm:
			return damagef("the freelist lists page %d, outside pages 2..%d", id, c.meta.hwm-1)
		case c.used[id]:
			return damagef("the freelist lists page %d, which is in use", id)
		case c.free[id]:
			return damagef("the freelist lists page %d twice", id)
		}
		c.free[id] = true
	}
	return nil
}

// tree checks the bucket tree rooted at page id, whose keys must lie in
// [lo, hi) (nil: unbounded).
func (c *fileCheck) tree(id uint64, lo, hi []byte, depth int) error {
	if depth > boltMaxDepth {
		return damagef("page %d is nested more than %d deep", id, boltMaxDepth)
	}
	p, err := c.page(id, "a tree page")
	if err != nil {
		return err
	}
	return c.elements(fmt.Sprintf("page %d", id), p, lo, hi, depth)
}

// elements checks the elements of page p (a page of the file, or an inline
// bucket's page inside a value): each inside p, keys non-empty, in order
// and in [lo, hi); and follows child pages and buckets.
func (c *fileCheck) elements(where string, p []byte, lo, hi []byte, depth int) error {
	ne := binary.NativeEndian
	if len(p) < boltHeaderSize {
		return damagef("%s is cut short", where)
	}
	flags, n := ne.Uint16(p[8:]), uint64(ne.Uint16(p[10:]))
	if flags != boltBranch && flags != boltLeaf {
		return damagef("%s is of type %#x, not a branch or leaf page", where, flags)
	}
	if flags == boltBranch && n == 0 {
		return damagef("%s is a branch page without elements", where)
	}
	if boltHeaderSize+n*boltElemSize > uint64(len(p)) {
		return damagef("%s: its %d elements do not fit in it", where, n)
	}
	var prev []byte
	for i := range n {
		off := boltHeaderSize + i*boltElemSize
		e := p[off : off+boltElemSize]
		var elemFlags, pos, ksize, vsize uint64
		var child uint64
		if flags == boltBranch {
			pos, ksize, child = uint64(ne.Uint32(e)), uint64(ne.Uint32(e[4:])), ne.Uint64(e[8:])
		} else {
			elemFlags, pos, ksize, vsize = uint64(ne.Uint32(e)), uint64(ne.Uint32(e[4:])), uint64(ne.Uint32(e[8:])), uint64(ne.Uint32(e[12:]))
		}
		start := off + pos
		if end := start + ksize + vsize; end > uint64(len(p)) {
			return damagef("%s: element %d points past the page", where, i)
		}
		key := p[start : start+ksize]
		switch {
		case ksize == 0:
			return damagef("%s: element %d has an empty key", where, i)
		case prev != nil && bytes.Compare(prev, key) >= 0,
			prev == nil && lo != nil && bytes.Compare(key, lo) < 0,
			hi != nil && bytes.Compare(key, hi) >= 0:
			return damagef("%s: the key of element %d is out of order", where, i)
		}
		prev = key
		if flags == boltBranch {
			next := hi
			if i+1 < n {
				// Bounds-checked when element i+1 is reached; a child
				// is checked against it before that, so check it now.
				o := boltHeaderSize + (i+1)*boltElemSize
				np, nk := uint64(ne.Uint32(p[o:])), uint64(ne.Uint32(p[o+4:]))
				if o+np+nk > uint64(len(p)) {
					return damagef("%s: element %d points past the page", where, i+1)
				}
				next = p[o+np : o+np+nk]
			}
			if err := c.tree(child, key, next, depth+1); err != nil {
				return err
			}
			continue
		}
		if elemFlags&boltBucketFlag == 0 {
			continue
		}
		value := p[start+ksize : start+ksize+vsize]
		if len(value) < boltBucketSize {
			return damagef("%s: bucket %q has a %d-byte header", where, key, len(value))
		}
		if root := ne.Uint64(value); root != 0 {
			if err := c.tree(root, nil, nil, depth+1); err != nil {
				return err
			}
			continue
		}
		// An inline bucket: its page is the rest of the value.
		if depth >= boltMaxDepth {
			return damagef("%s: buckets are nested more than %d deep", where, boltMaxDepth)
		}
		inline := value[boltBucketSize:]
		if len(inline) >= boltHeaderSize && ne.Uint16(inline[8:]) != boltLeaf {
			return damagef("%s: inline bucket %q is not a leaf page", where, key)
		}
		if err := c.elements(fmt.Sprintf("%s, inline bucket %q", where, key), inline, nil, nil, depth+1); err != nil {
			return err
		}
	}
	return nil
}
