package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
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
	// bbolt's page check is safe beside writers only in a writable
	// transaction (rolled back: it changes nothing).
	tx, err := db.bolt.Begin(!db.readOnly)
	if err != nil {
		return fmt.Errorf("store: check: %w", err)
	}
	if err := pageCheck(tx); err != nil {
		p.addf("bbolt: %w", err)
	}
	tx.Rollback()
	err = db.view(ctx, "check", func(tx *bolt.Tx) error {
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
	err := out.ForEach(func(k, v []byte) error {
		var m Message
		if err := json.Unmarshal(v, &m); err != nil {
			p.addf("message %x: %v", k, err)
			return nil
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

// checkAccounts checks the index of accounts by fintech_use_num: one entry
// per account, naming it.
func checkAccounts(tx *bolt.Tx, p *problems) error {
	idx := tx.Bucket(bucketAcctFins)
	n := 0
	err := tx.Bucket(bucketAccounts).ForEach(func(k, v []byte) error {
		var a Account
		if err := json.Unmarshal(v, &a); err != nil {
			return fmt.Errorf("account %q: %w", k, err)
		}
		n++
		if id := idx.Get([]byte(a.FintechUseNum)); string(id) != a.ID {
			p.addf("account %s: the fintech_use_num index names %q", a.ID, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if got := idx.Stats().KeyN; got != n {
		p.addf("the fintech_use_num index has %d entries for %d accounts", got, n)
	}
	return nil
}
