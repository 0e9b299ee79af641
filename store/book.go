package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/ledger"
)

// MatchRecord is the standing decision on one stored transaction: the
// matcher's verdict, or the treasurer's when they decided.
type MatchRecord struct {
	DepositID string       `json:"deposit"`
	AccountID string       `json:"account"`
	GroupID   string       `json:"group"`
	Match     ledger.Match `json:"match"`
	// By is ActorMatcher or the treasurer who decided; At is when.
	By string    `json:"by"`
	At time.Time `json:"at"`
	// Payments are the sequence numbers of the group payments made from
	// the deposit (one per share).
	Payments []uint64 `json:"payments,omitempty"`
	// Note says why a match was turned into a review (e.g. shares naming
	// an unknown member) or why the treasurer ignored it.
	Note string `json:"note,omitempty"`
	// Learned is the alias this decision taught LearnedMember, so that
	// Unassign can take it back.
	Learned       string `json:"learned,omitempty"`
	LearnedMember string `json:"learned_member,omitempty"`
}

// Payment sources.
const (
	SourceDeposit = "deposit" // a share of a bank transaction
	SourceManual  = "manual"  // cash or anything else the treasurer records
)

// PaymentRecord is money credited to a member and where the book put it.
// A group's allocations are the result of applying its payments in Seq
// order to a fresh ledger.Book, so they can be recomputed at any time;
// voided payments are skipped.
type PaymentRecord struct {
	Seq     uint64         `json:"seq"`
	GroupID string         `json:"group"`
	Payment ledger.Payment `json:"payment"`
	Source  string         `json:"source"`
	// By is who recorded it (ActorMatcher for automatic matches).
	By       string    `json:"by"`
	Recorded time.Time `json:"recorded"`
	Note     string    `json:"note,omitempty"`
	Voided   bool      `json:"voided,omitempty"`
	VoidedBy string    `json:"voided_by,omitempty"`
	VoidedAt time.Time `json:"voided_at,omitzero"`
	// Allocations of the payment to months (a zero Period is credit).
	Allocations []ledger.Allocation `json:"allocations,omitempty"`
}

// ReviewItem is a deposit waiting for the treasurer's decision.
type ReviewItem struct {
	GroupID   string         `json:"group"`
	AccountID string         `json:"account"`
	Deposit   ledger.Deposit `json:"deposit"`
	Match     ledger.Match   `json:"match"`
	Queued    time.Time      `json:"queued"`
	Note      string         `json:"note,omitempty"`
}

// DepositRecord is a stored transaction with its decision and allocations.
type DepositRecord struct {
	AccountID   string              `json:"account"`
	Deposit     ledger.Deposit      `json:"deposit"`
	Decision    MatchRecord         `json:"decision"`
	Allocations []ledger.Allocation `json:"allocations,omitempty"`
	// InReview is set while the deposit waits for the treasurer.
	InReview bool `json:"in_review,omitempty"`
}

func groupPayments(tx *bolt.Tx, groupID string) (*bolt.Bucket, error) {
	if tx.Writable() {
		b, err := tx.Bucket(bucketPayments).CreateBucketIfNotExists([]byte(groupID))
		if err == nil {
			b.FillPercent = appendFill
		}
		return b, err
	}
	return tx.Bucket(bucketPayments).Bucket([]byte(groupID)), nil
}

// forPayments calls fn for each of a group's payments in Seq order.
func forPayments(tx *bolt.Tx, groupID string, fn func(PaymentRecord) error) error {
	b := tx.Bucket(bucketPayments).Bucket([]byte(groupID))
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		var p PaymentRecord
		if err := json.Unmarshal(v, &p); err != nil {
			return fmt.Errorf("decode payment %x: %w", k, err)
		}
		return fn(p)
	})
}

// loadBook replays a group's payments into a fresh book.
func loadBook(tx *bolt.Tx, g *ledger.Group) (*ledger.Book, error) {
	bk := ledger.NewBook(g)
	b := tx.Bucket(bucketPayments).Bucket([]byte(g.ID))
	if b == nil {
		return bk, nil
	}
	return bk, b.ForEach(func(k, v []byte) error { return applyStored(bk, k, v) })
}

// bookEntry is the part of a stored PaymentRecord a book needs: decoding
// only it skips the allocations, which a book recomputes.
type bookEntry struct {
	Payment ledger.Payment `json:"payment"`
	Voided  bool           `json:"voided"`
}

// applyStored applies stored payment v (key k) to bk unless it is void.
func applyStored(bk *ledger.Book, k, v []byte) error {
	p, err := decodeBookEntry(v)
	if err != nil {
		return fmt.Errorf("decode payment %x: %w", k, err)
	}
	if p.Voided {
		return nil
	}
	_, err = bk.Apply(p.Payment)
	return err
}

// loadBookStamp is loadBook that also returns the payments' stamp (see
// paymentsStamp).
func (db *DB) loadBookStamp(tx *bolt.Tx, g *ledger.Group) (*ledger.Book, uint64, error) {
	bk := ledger.NewBook(g)
	_, stamp, err := db.paymentsStamp(tx, g.ID, func(k, v []byte) error { return applyStored(bk, k, v) })
	return bk, stamp, err
}

// paymentsStamp returns a stamp of a group's payments: a hash of their
// bucket's sequence and of every stored payment, so that a book loaded
// with the same stamp is the book of the same payments (see groupCache for
// the hash). It calls fn, when not nil, for each payment in Seq order, and
// returns the sequence too.
func (db *DB) paymentsStamp(tx *bolt.Tx, groupID string, fn func(k, v []byte) error) (uint64, uint64, error) {
	var h maphash.Hash
	h.SetSeed(db.groups.seed)
	b := tx.Bucket(bucketPayments).Bucket([]byte(groupID))
	if b == nil {
		return 0, h.Sum64(), nil
	}
	seq := b.Sequence()
	h.Write(binary.BigEndian.AppendUint64(nil, seq))
	err := b.ForEach(func(k, v []byte) error {
		h.Write(k)
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(v))))
		h.Write(v)
		if fn != nil {
			return fn(k, v)
		}
		return nil
	})
	return seq, h.Sum64(), err
}

// reallocate replays a group's payments against the current roster and
// rewrites every payment whose allocations changed. It returns how many
// changed.
func reallocate(tx *bolt.Tx, g *ledger.Group) (int, error) {
	b, err := groupPayments(tx, g.ID)
	if err != nil {
		return 0, err
	}
	bk := ledger.NewBook(g)
	var changed []PaymentRecord
	err = forPayments(tx, g.ID, func(p PaymentRecord) error {
		var allocs []ledger.Allocation
		if !p.Voided {
			var err error
			if allocs, err = bk.Apply(p.Payment); err != nil {
				return err
			}
		}
		if !slices.Equal(allocs, p.Allocations) {
			p.Allocations = allocs
			changed = append(changed, p)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, p := range changed {
		if err := putJSON(b, be64(p.Seq), p); err != nil {
			return 0, err
		}
	}
	return len(changed), nil
}

// groupHasPayments reports whether a member has payments that count.
func groupHasPayments(tx *bolt.Tx, groupID, memberID string) bool {
	found := errors.New("found")
	err := forPayments(tx, groupID, func(p PaymentRecord) error {
		if !p.Voided && p.Payment.MemberID == memberID {
			return found
		}
		return nil
	})
	return err != nil
}

// addPayment applies p to bk and stores it. An empty p.Ref becomes
// "manual/<seq>".
func (db *DB) addPayment(tx *bolt.Tx, bk *ledger.Book, groupID string, p ledger.Payment, source, by, note string) (PaymentRecord, error) {
	b, err := groupPayments(tx, groupID)
	if err != nil {
		return PaymentRecord{}, err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return PaymentRecord{}, err
	}
	rec, err := paymentRecord(bk, seq, groupID, p, source, by, note, db.now())
	if err != nil {
		return PaymentRecord{}, err
	}
	return rec, putJSON(b, be64(seq), rec)
}

// paymentRecord applies p to bk and returns its record, numbered seq. An
// empty p.Ref becomes "manual/<seq>".
func paymentRecord(bk *ledger.Book, seq uint64, groupID string, p ledger.Payment, source, by, note string, now time.Time) (PaymentRecord, error) {
	if p.Ref == "" {
		p.Ref = SourceManual + "/" + strconv.FormatUint(seq, 10)
	}
	allocs, err := bk.Apply(p)
	if err != nil {
		return PaymentRecord{}, err
	}
	return PaymentRecord{Seq: seq, GroupID: groupID, Payment: p, Source: source, By: by, Recorded: now, Note: note, Allocations: allocs}, nil
}

// checkShares reports why a match's shares cannot be applied as they are.
func checkShares(g *ledger.Group, d ledger.Deposit, shares []ledger.Share) error {
	if len(shares) == 0 {
		return errors.New("matched without shares")
	}
	var sum int64
	for _, s := range shares {
		if _, ok := g.Member(s.MemberID); !ok {
			return fmt.Errorf("share names unknown member %q", s.MemberID)
		}
		if s.Amount <= 0 {
			return fmt.Errorf("share of %q is not positive", s.MemberID)
		}
		sum += s.Amount
	}
	if sum != d.Amount {
		return fmt.Errorf("shares add up to %d, not the deposit's %d", sum, d.Amount)
	}
	return nil
}

// decide records a verdict on a stored deposit: payments and allocations
// when matched, a review item when not sure. *bk is loaded on first use.
func (db *DB) decide(tx *bolt.Tx, g *Group, bk **ledger.Book, accountID string, d ledger.Deposit, m ledger.Match, by, note string) (Ingested, error) {
	if *bk == nil && needsBook(g, d, m) {
		var err error
		if *bk, err = loadBook(tx, &g.Group); err != nil {
			return Ingested{Deposit: d}, err
		}
	}
	var pays *bolt.Bucket
	next := func() (uint64, error) {
		if pays == nil {
			var err error
			if pays, err = groupPayments(tx, g.ID); err != nil {
				return 0, err
			}
		}
		return pays.NextSequence()
	}
	dec, err := decideDeposit(g, *bk, accountID, d, m, by, note, db.now(), next)
	if err != nil {
		return dec.in, err
	}
	return dec.in, dec.put(tx, nil)
}

// decision is a verdict on a stored deposit and the records it writes.
type decision struct {
	in       Ingested
	rec      MatchRecord
	payments []PaymentRecord
	review   *ReviewItem
}

// needsBook reports whether deciding d as m applies payments to the
// group's book.
func needsBook(g *Group, d ledger.Deposit, m ledger.Match) bool {
	return m.Outcome == ledger.OutcomeMatched && checkShares(&g.Group, d, m.Shares) == nil
}

// decideDeposit works out the records of verdict m on deposit d, decided by
// by at now: a payment per share when matched, applied to bk (which must be
// the group's book when needsBook) and numbered by next; a review item
// when not sure; a match whose shares cannot be applied becomes a review
// with a note saying why. It writes nothing.
func decideDeposit(g *Group, bk *ledger.Book, accountID string, d ledger.Deposit, m ledger.Match, by, note string, now time.Time, next func() (uint64, error)) (decision, error) {
	rec := MatchRecord{DepositID: d.ID, AccountID: accountID, GroupID: g.ID, Match: m, By: by, At: now, Note: note}
	dec := decision{in: Ingested{Deposit: d}}
	if m.Outcome == ledger.OutcomeMatched {
		if err := checkShares(&g.Group, d, m.Shares); err != nil {
			rec.Match.Outcome = ledger.OutcomeReview
			rec.Note = err.Error()
		}
	}
	if rec.Match.Outcome == ledger.OutcomeMatched {
		for _, s := range rec.Match.Shares {
			seq, err := next()
			if err != nil {
				return dec, err
			}
			p := ledger.Payment{MemberID: s.MemberID, Amount: s.Amount, At: d.At, Ref: d.ID}
			pr, err := paymentRecord(bk, seq, g.ID, p, SourceDeposit, by, "", now)
			if err != nil {
				return dec, err
			}
			dec.payments = append(dec.payments, pr)
			rec.Payments = append(rec.Payments, pr.Seq)
			dec.in.Allocations = append(dec.in.Allocations, pr.Allocations...)
		}
	}
	if rec.Match.Outcome == ledger.OutcomeReview {
		dec.review = &ReviewItem{GroupID: g.ID, AccountID: accountID, Deposit: d, Match: rec.Match, Queued: rec.At, Note: rec.Note}
	}
	dec.in.Match = rec.Match
	dec.rec = rec
	return dec, nil
}

// encodedDecision is a decision's records encoded ahead of the write
// transaction.
type encodedDecision struct {
	rec, review []byte
	payments    [][]byte
}

// encode encodes the decision's records.
func (dec decision) encode() (encodedDecision, error) {
	var (
		enc encodedDecision
		err error
	)
	if enc.rec, err = encodeMatchRecord(dec.rec); err != nil {
		return enc, err
	}
	if dec.review != nil {
		if enc.review, err = encodeReviewItem(*dec.review); err != nil {
			return enc, err
		}
	}
	for _, p := range dec.payments {
		raw, err := encodePayment(p)
		if err != nil {
			return enc, err
		}
		enc.payments = append(enc.payments, raw)
	}
	return enc, nil
}

// put writes the decision's records, encoded by enc when it is not nil.
func (dec decision) put(tx *bolt.Tx, enc *encodedDecision) error {
	if enc == nil {
		e, err := dec.encode()
		if err != nil {
			return err
		}
		enc = &e
	}
	if len(dec.payments) > 0 {
		b, err := groupPayments(tx, dec.rec.GroupID)
		if err != nil {
			return err
		}
		for i, p := range dec.payments {
			if err := b.Put(be64(p.Seq), enc.payments[i]); err != nil {
				return err
			}
		}
	}
	id := []byte(dec.rec.DepositID)
	if enc.review != nil {
		if err := tx.Bucket(bucketReview).Put(id, enc.review); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketMatches).Put(id, enc.rec)
}

func getMatch(tx *bolt.Tx, depositID string) (MatchRecord, error) {
	var rec MatchRecord
	ok, err := getJSON(tx.Bucket(bucketMatches), []byte(depositID), &rec)
	if err == nil && !ok {
		err = fmt.Errorf("deposit %q: %w", depositID, ErrNotFound)
	}
	return rec, err
}

// AssignOptions adjust Assign.
type AssignOptions struct {
	// NoLearn skips learning the payer text as an alias of the member.
	NoLearn bool
	// Notify, when set, builds messages announcing the decision.
	Notify NotifyFunc
}

// AssignResult is what an Assign recorded.
type AssignResult struct {
	Deposit     ledger.Deposit
	Allocations []ledger.Allocation
	// Learned is the alias the payer text taught, and LearnedNew whether
	// it was new; LearnErr says why nothing was learned
	// (ledger.ErrMaskedText, ledger.ErrNothingToLearn,
	// ledger.ErrAliasConflict). A failure to learn does not fail the
	// assignment.
	Learned    ledger.Alias
	LearnedNew bool
	LearnErr   error
	Messages   []uint64
}

// Assign resolves a review deposit as member memberID's money: it records
// the payment and its allocations, learns the payer text as an alias of
// the member (persisted in the group), removes the review item and audits
// the decision, in one transaction. It fails with ErrState when the
// deposit is not waiting for review.
func (db *DB) Assign(ctx context.Context, actor, depositID, memberID string, opts AssignOptions) (AssignResult, error) {
	var res AssignResult
	err := db.update(ctx, "assign "+depositID, func(tx *bolt.Tx) error {
		res = AssignResult{}
		rec, err := getMatch(tx, depositID)
		if err != nil {
			return err
		}
		if tx.Bucket(bucketReview).Get([]byte(depositID)) == nil {
			return fmt.Errorf("deposit %q is %s, not waiting for review: %w", depositID, rec.Match.Outcome, ErrState)
		}
		d, err := getRow(tx, depositID)
		if err != nil {
			return err
		}
		g, err := getGroup(tx, rec.GroupID)
		if err != nil {
			return err
		}
		if _, ok := g.Member(memberID); !ok {
			return fmt.Errorf("member %q: %w", memberID, ErrNotFound)
		}
		if d.Amount <= 0 || d.Direction != ledger.In {
			return fmt.Errorf("%w: deposit %q is not money in", ErrInvalid, depositID)
		}
		before := rec
		if !opts.NoLearn {
			res.Learned, res.LearnedNew, res.LearnErr = g.Learn(memberID, d.Text)
			if res.LearnedNew {
				if err := putJSON(tx.Bucket(bucketGroups), []byte(g.ID), g); err != nil {
					return err
				}
			}
		}
		if err := tx.Bucket(bucketReview).Delete([]byte(depositID)); err != nil {
			return err
		}
		m := rec.Match
		m.Outcome = ledger.OutcomeMatched
		m.Shares = []ledger.Share{{MemberID: memberID, Amount: d.Amount}}
		var bk *ledger.Book
		in, err := db.decide(tx, &g, &bk, rec.AccountID, d, m, actor, "")
		if err != nil {
			return err
		}
		res.Deposit, res.Allocations = d, in.Allocations
		after, err := getMatch(tx, depositID)
		if err != nil {
			return err
		}
		if res.LearnedNew {
			after.Learned, after.LearnedMember = res.Learned.Text, memberID
			if err := putJSON(tx.Bucket(bucketMatches), []byte(depositID), after); err != nil {
				return err
			}
		}
		type change struct {
			Decision    MatchRecord         `json:"decision"`
			Allocations []ledger.Allocation `json:"allocations,omitempty"`
			Learned     *ledger.Alias       `json:"learned,omitempty"`
		}
		ch := change{Decision: after, Allocations: in.Allocations}
		if res.LearnedNew {
			ch.Learned = &res.Learned
		}
		if err := db.audit(tx, AuditEntry{Actor: actor, Action: ActionReviewAssign, GroupID: g.ID, Target: depositID,
			Before: rawJSON(before), After: rawJSON(ch)}); err != nil {
			return err
		}
		if opts.Notify != nil {
			if bk == nil {
				if bk, err = loadBook(tx, &g.Group); err != nil {
					return err
				}
			}
			n := Notice{Event: EventAssigned, GroupID: g.ID, AccountID: rec.AccountID, Deposit: d, Match: m, Allocations: in.Allocations, Actor: actor, Group: g, Book: bk}
			res.Messages, err = db.enqueueTx(tx, opts.Notify(n))
		}
		return err
	})
	return res, err
}

// Ignore resolves a review deposit as not dues (a refund, a transfer
// between the treasurer's accounts). note says why; the decision is
// audited.
func (db *DB) Ignore(ctx context.Context, actor, depositID, note string) error {
	return db.update(ctx, "ignore "+depositID, func(tx *bolt.Tx) error {
		rec, err := getMatch(tx, depositID)
		if err != nil {
			return err
		}
		if tx.Bucket(bucketReview).Get([]byte(depositID)) == nil {
			return fmt.Errorf("deposit %q is %s, not waiting for review: %w", depositID, rec.Match.Outcome, ErrState)
		}
		before := rec
		rec.Match.Outcome = ledger.OutcomeIgnored
		rec.Match.Shares = nil
		rec.By, rec.At, rec.Note = actor, db.now(), note
		if err := tx.Bucket(bucketReview).Delete([]byte(depositID)); err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bucketMatches), []byte(depositID), rec); err != nil {
			return err
		}
		return db.audit(tx, AuditEntry{Actor: actor, Action: ActionReviewIgnore, GroupID: rec.GroupID, Target: depositID,
			Before: rawJSON(before), After: rawJSON(rec)})
	})
}

// Unassign takes a decided deposit (matched by the matcher or the
// treasurer, or ignored) back to the review queue: its payments are voided
// and the group's allocations recomputed. An alias the decision taught is
// forgotten, so a wrong assignment does not come back next month. The
// change is audited.
func (db *DB) Unassign(ctx context.Context, actor, depositID string) error {
	return db.update(ctx, "unassign "+depositID, func(tx *bolt.Tx) error {
		rec, err := getMatch(tx, depositID)
		if err != nil {
			return err
		}
		if tx.Bucket(bucketReview).Get([]byte(depositID)) != nil {
			return fmt.Errorf("deposit %q is already waiting for review: %w", depositID, ErrState)
		}
		d, err := getRow(tx, depositID)
		if err != nil {
			return err
		}
		g, err := getGroup(tx, rec.GroupID)
		if err != nil {
			return err
		}
		before := rec
		if rec.Learned != "" && g.Forget(rec.LearnedMember, rec.Learned) {
			if err := putJSON(tx.Bucket(bucketGroups), []byte(g.ID), g); err != nil {
				return err
			}
		}
		rec.Learned, rec.LearnedMember = "", ""
		if err := db.voidPayments(tx, g.ID, rec.Payments, actor); err != nil {
			return err
		}
		if _, err := reallocate(tx, &g.Group); err != nil {
			return err
		}
		rec.Match.Outcome = ledger.OutcomeReview
		rec.Match.Shares = nil
		rec.Payments = nil
		rec.By, rec.At, rec.Note = actor, db.now(), "unassigned"
		item := ReviewItem{GroupID: g.ID, AccountID: rec.AccountID, Deposit: d, Match: rec.Match, Queued: rec.At, Note: rec.Note}
		if err := putJSON(tx.Bucket(bucketReview), []byte(depositID), item); err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bucketMatches), []byte(depositID), rec); err != nil {
			return err
		}
		return db.audit(tx, AuditEntry{Actor: actor, Action: ActionUnassign, GroupID: g.ID, Target: depositID,
			Before: rawJSON(before), After: rawJSON(rec)})
	})
}

func (db *DB) voidPayments(tx *bolt.Tx, groupID string, seqs []uint64, actor string) error {
	b, err := groupPayments(tx, groupID)
	if err != nil {
		return err
	}
	for _, seq := range seqs {
		var p PaymentRecord
		ok, err := getJSON(b, be64(seq), &p)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("payment %d of group %q: %w", seq, groupID, ErrNotFound)
		}
		p.Voided, p.VoidedBy, p.VoidedAt, p.Allocations = true, actor, db.now(), nil
		if err := putJSON(b, be64(seq), p); err != nil {
			return err
		}
	}
	return nil
}

// AddManualPayment records money a member paid outside the bank (cash to
// the treasurer). p.Ref is set to "manual/<seq>"; a zero p.At means now.
// It returns the stored payment with its allocations. The change is
// audited.
func (db *DB) AddManualPayment(ctx context.Context, actor, groupID string, p ledger.Payment, note string) (PaymentRecord, error) {
	var rec PaymentRecord
	err := db.update(ctx, "add manual payment", func(tx *bolt.Tx) error {
		g, err := getGroup(tx, groupID)
		if err != nil {
			return err
		}
		if _, ok := g.Member(p.MemberID); !ok {
			return fmt.Errorf("member %q: %w", p.MemberID, ErrNotFound)
		}
		if p.Amount <= 0 {
			return fmt.Errorf("%w: amount %d is not positive", ErrInvalid, p.Amount)
		}
		if p.At.IsZero() {
			p.At = db.now()
		}
		p.Ref = ""
		bk, err := loadBook(tx, &g.Group)
		if err != nil {
			return err
		}
		if rec, err = db.addPayment(tx, bk, groupID, p, SourceManual, actor, note); err != nil {
			return err
		}
		return db.audit(tx, AuditEntry{Actor: actor, Action: ActionManualPayment, GroupID: groupID, Target: rec.Payment.Ref, After: rawJSON(rec)})
	})
	return rec, err
}

// VoidPayment voids a manual payment (ref "manual/<n>") and recomputes the
// group's allocations. Deposits are taken back with Unassign instead. The
// change is audited.
func (db *DB) VoidPayment(ctx context.Context, actor, groupID, ref string) error {
	n, ok := strings.CutPrefix(ref, SourceManual+"/")
	seq, err := strconv.ParseUint(n, 10, 64)
	if !ok || err != nil {
		return fmt.Errorf("store: void payment: %w: %q is not a manual payment (use Unassign for deposits)", ErrInvalid, ref)
	}
	return db.update(ctx, "void payment", func(tx *bolt.Tx) error {
		g, err := getGroup(tx, groupID)
		if err != nil {
			return err
		}
		b, err := groupPayments(tx, groupID)
		if err != nil {
			return err
		}
		var before PaymentRecord
		if ok, err := getJSON(b, be64(seq), &before); err != nil {
			return err
		} else if !ok || before.Payment.Ref != ref {
			return fmt.Errorf("payment %q: %w", ref, ErrNotFound)
		}
		if before.Voided {
			return fmt.Errorf("payment %q is already void: %w", ref, ErrState)
		}
		if err := db.voidPayments(tx, groupID, []uint64{seq}, actor); err != nil {
			return err
		}
		if _, err := reallocate(tx, &g.Group); err != nil {
			return err
		}
		var after PaymentRecord
		if _, err := getJSON(b, be64(seq), &after); err != nil {
			return err
		}
		return db.audit(tx, AuditEntry{Actor: actor, Action: ActionVoidPayment, GroupID: groupID, Target: ref,
			Before: rawJSON(before), After: rawJSON(after)})
	})
}

// Payments returns a group's payments in the order the book applies them.
func (db *DB) Payments(ctx context.Context, groupID string) ([]PaymentRecord, error) {
	var out []PaymentRecord
	err := db.view(ctx, "payments", func(tx *bolt.Tx) error {
		if _, err := getGroup(tx, groupID); err != nil {
			return err
		}
		return forPayments(tx, groupID, func(p PaymentRecord) error {
			out = append(out, p)
			return nil
		})
	})
	return out, err
}

// Book returns a group's book, rebuilt from its stored payments.
func (db *DB) Book(ctx context.Context, groupID string) (*ledger.Book, error) {
	var bk *ledger.Book
	err := db.view(ctx, "book", func(tx *bolt.Tx) error {
		g, err := getGroup(tx, groupID)
		if err != nil {
			return err
		}
		bk, err = loadBook(tx, &g.Group)
		return err
	})
	return bk, err
}

// Review returns a group's deposits waiting for review, oldest first.
func (db *DB) Review(ctx context.Context, groupID string) ([]ReviewItem, error) {
	var out []ReviewItem
	err := db.view(ctx, "review", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketReview)
		return b.ForEach(func(k, _ []byte) error {
			var it ReviewItem
			if _, err := getJSON(b, k, &it); err != nil {
				return err
			}
			if groupID == "" || it.GroupID == groupID {
				out = append(out, it)
			}
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b ReviewItem) int { return a.Deposit.At.Compare(b.Deposit.At) })
	return out, err
}

// Deposit returns a stored transaction with its decision and allocations.
func (db *DB) Deposit(ctx context.Context, id string) (DepositRecord, error) {
	var r DepositRecord
	err := db.view(ctx, "deposit", func(tx *bolt.Tx) error {
		var err error
		r, err = depositRecord(tx, id)
		return err
	})
	return r, err
}

func depositRecord(tx *bolt.Tx, id string) (DepositRecord, error) {
	d, err := getRow(tx, id)
	if err != nil {
		return DepositRecord{}, err
	}
	rec, err := getMatch(tx, id)
	if err != nil {
		return DepositRecord{}, err
	}
	r := DepositRecord{AccountID: rec.AccountID, Deposit: d, Decision: rec, InReview: tx.Bucket(bucketReview).Get([]byte(id)) != nil}
	if b := tx.Bucket(bucketPayments).Bucket([]byte(rec.GroupID)); b != nil {
		for _, seq := range rec.Payments {
			var p PaymentRecord
			if _, err := getJSON(b, be64(seq), &p); err != nil {
				return r, err
			}
			r.Allocations = append(r.Allocations, p.Allocations...)
		}
	}
	return r, nil
}
