package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moimbot/moimbot/bot"
	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/openbanking"
	"github.com/moimbot/moimbot/store"
)

// Sync tuning. The overlap re-reads the end of the last window, because a
// bank may list a transaction a little after its own timestamp; re-read rows
// are deduplicated by the store.
const (
	syncOverlap = 15 * time.Minute
	// syncBackfill is how far back the first sync of an account reads when
	// the group's dues started earlier (KFTC allows 365 days per query).
	syncBackfill = 90 * 24 * time.Hour
	// refreshAhead is how long before its expiry the access token is
	// refreshed during a poll. The refresh token lives only 10 days longer
	// than the access token, so refreshing three weeks early keeps both far
	// from expiry while the bank answers, and the treasurer's expiry
	// warnings (14 and 3 days before) fire only when refreshing has failed
	// for a week.
	refreshAhead = 21 * 24 * time.Hour
	// backoffBase and backoffMax bound the wait after transient failures:
	// 1, 2, 4, … minutes, at most an hour, each with equal jitter (a random
	// wait between half and all of the step).
	backoffBase = time.Minute
	backoffMax  = time.Hour
	// stuckAfter is how many passes in a row may fail (each backing off)
	// before the treasurer is told, once per streak: about four hours.
	stuckAfter = 10
	// gapRecheck is how often an unclosed balance-chain gap is read again,
	// and gapTell how long it may stand before the treasurer is told.
	gapRecheck = 3 * time.Hour
	gapTell    = 24 * time.Hour
	// rereadHour is the KST hour after which the first pass of a day reads
	// the previous day again, unless the month's calls have reached
	// rereadBudget (90% of KFTC's 1,000 a month).
	rereadHour   = 4
	rereadBudget = 900
)

// Sync outcomes that are not failures of the pass.
var (
	errMaintenance = errors.New("bank maintenance window")
	errBackoff     = errors.New("backing off after failures")
	errNeedsRelink = errors.New("account needs a new link")
)

// SyncResult is what one sync pass did.
type SyncResult struct {
	// New are the transactions stored for the first time, by the pass's
	// read and by a re-read (see checkChain).
	New []store.Ingested
	// Duplicates counts the rows of the pass's own read that were stored
	// already.
	Duplicates int
	// Calls is the number of transaction-list calls made, re-reads
	// included.
	Calls int
}

// syncer runs sync passes: one pass reads one linked account's new
// transactions from the bank and stores them with everything that follows
// (see Sync). It keeps one openbanking.Session per token, so concurrent
// passes of one user's accounts share a refresh, and the backoff state of
// each account. It is safe for concurrent use; passes of the same account
// are serialised.
type syncer struct {
	db     *store.DB
	client *openbanking.Client
	calls  *CallCounter
	now    func() time.Time
	log    *slog.Logger
	// notify builds the messages of new deposits; relink builds the
	// treasurer's notice when a link breaks.
	notify store.NotifyFunc
	relink func(store.Group, store.Account, string) []store.OutboxMessage
	// gapNote builds the treasurer's notice of a gap the bank never
	// filled; stuckNote that of passes failing stuckAfter times in a row.
	gapNote   func(store.Group, store.Account, store.Gap) []store.OutboxMessage
	stuckNote func(store.Group, store.Account, time.Time, int) []store.OutboxMessage
	// maxPages bounds the pages of one fetch (0: the client's 400).
	maxPages int

	// inFlight counts passes running; a pass that is not alone batches its
	// commit with the others (one fsync for many accounts).
	inFlight atomic.Int32

	mu       sync.Mutex
	sessions map[string]*openbanking.Session
	accounts map[string]*accountState
}

// accountState is what the syncer remembers about one account between
// passes (in memory: a restart forgets a backoff, which costs one call).
type accountState struct {
	mu sync.Mutex // held for a whole pass
	// token is the stored pair of the account's token as the last pass
	// found it held by its session (see session).
	token    storedPair
	failures int
	// failingSince is when the current streak of failed passes began.
	failingSince time.Time
	retryAt      time.Time
}

func newSyncer(db *store.DB, client *openbanking.Client, calls *CallCounter, now func() time.Time, log *slog.Logger) *syncer {
	return &syncer{db: db, client: client, calls: calls, now: now, log: log,
		sessions: make(map[string]*openbanking.Session), accounts: make(map[string]*accountState)}
}

func (s *syncer) state(accountID string) *accountState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.accounts[accountID]
	if st == nil {
		st = &accountState{}
		s.accounts[accountID] = st
	}
	return st
}

// forget drops the cached session of a token whose link broke, so that a
// dead refresh token is not kept around; the next pass after a relink
// starts from the stored pair.
func (s *syncer) forget(tokenName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, tokenName)
}

// retryAt returns when a backing-off account should be tried again (zero
// when it is not backing off).
func (s *syncer) retryAt(accountID string) time.Time {
	st := s.state(accountID)
	if !st.mu.TryLock() {
		return time.Time{}
	}
	defer st.mu.Unlock()
	return st.retryAt
}

// Sync runs one pass for one linked account:
//
//  1. an account marked for relinking, the bank's maintenance window
//     (23:50–00:10 KST) and an account backing off after failures are
//     skipped without a call (errNeedsRelink, errMaintenance, errBackoff);
//  2. the access token is refreshed when it expires within three weeks, and
//     the session refreshes once more on O0003; a rotated pair is stored
//     before it is used;
//  3. the transaction list is read by time (inquiry_base=T) from the cursor
//     minus a small overlap to now, every page, which may cross midnight and
//     days of downtime;
//  4. the rows go to the store's atomic Ingest (dedupe, match, allocate,
//     enqueue notices, advance the cursor, count the calls), so the cursor
//     only moves after the rows are committed.
//
// O0002, a refused refresh or an account the bank no longer lists marks the
// account for relinking and tells the treasurer once. Transient and
// rate-limit errors (after the client's own retries) back off exponentially
// with jitter; a maintenance answer is not retried.
func (s *syncer) Sync(ctx context.Context, accountID string) (SyncResult, error) {
	return s.pass(ctx, accountID, nil)
}

// pass is Sync holding slot (when not nil) only while it calls the bank:
// the slot is taken before the token refresh and the transaction-list
// call, and given back as soon as the bank has answered, so that the
// pass's commit, which waits for the store's one writer, does not keep
// another account from calling. The pass itself still waits for its
// commit, so whoever waits for the pass waits for its rows to be stored.
func (s *syncer) pass(ctx context.Context, accountID string, slot *callSlot) (SyncResult, error) {
	st := s.state(accountID)
	if !st.mu.TryLock() {
		// Another pass of the account is running. A pass may wait for a
		// slot while it holds its account (to re-read), so no slot is held
		// while waiting for an account: that could leave every slot with a
		// pass waiting for an account whose pass waits for a slot.
		slot.release()
		st.mu.Lock()
	}
	defer st.mu.Unlock()
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	var res SyncResult
	// Everything the pass reads before calling the bank, in one read
	// transaction.
	ps, err := s.db.PollState(ctx, accountID, rereadJob(accountID), st.token.stamp)
	if err != nil {
		return res, fmt.Errorf("sync %s: %w", accountID, err)
	}
	acct := ps.Account
	if acct.Relink != nil {
		return res, fmt.Errorf("sync %s: %w", accountID, errNeedsRelink)
	}
	now := s.now()
	if bot.InMaintenance(now) {
		return res, fmt.Errorf("sync %s: %w", accountID, errMaintenance)
	}
	if now.Before(st.retryAt) {
		return res, fmt.Errorf("sync %s: %w until %s", accountID, errBackoff, st.retryAt.In(ledger.KST()).Format(time.TimeOnly))
	}
	if err := slot.acquire(ctx); err != nil {
		return res, fmt.Errorf("sync %s: %w", accountID, err)
	}
	sess, err := s.session(ctx, st, acct, ps)
	if err != nil {
		return res, s.fail(ctx, st, acct, err)
	}
	if _, err := sess.RefreshWithin(ctx, refreshAhead); err != nil {
		// The access token still has weeks left: only a refresh the bank
		// refused stops the pass. The session refreshes by itself within
		// a day of expiry and on O0003, and the expiry warnings tell the
		// treasurer if refreshing keeps failing.
		if ctx.Err() != nil || openbanking.Classify(err) == openbanking.ClassRelink {
			return res, s.fail(ctx, st, acct, err)
		}
		s.log.Warn("early token refresh failed; using the current token", "account_id", acct.ID, "err", err)
	}
	cur := ps.Cursor
	q, err := s.query(ctx, acct, cur, now)
	if err != nil {
		return res, fmt.Errorf("sync %s: %w", accountID, err)
	}
	notify := s.notify
	if cur.Through.IsZero() && notify != nil {
		// The first sync reads history from before the link: it is matched
		// and allocated, and doubtful deposits wait in the review queue,
		// but the chat is not flooded with notices of old deposits.
		since := acct.Added.Add(-syncOverlap)
		notify = func(n store.Notice) []store.OutboxMessage {
			if n.Deposit.At.Before(since) {
				return nil
			}
			return s.notify(n)
		}
	}
	f, err := s.fetch(ctx, sess, slot, acct, q, notify, &res)
	if err != nil {
		return res, err
	}
	res.Duplicates = f.in.Duplicates
	if f.partial != nil {
		// The rows read are stored and the cursor follows them: the next
		// pass goes on from there instead of failing the same way.
		return res, s.fail(ctx, st, acct, f.partial)
	}
	if err := s.checkChain(ctx, sess, slot, acct, q, f, ps.LastRun, notify, &res); err != nil {
		// The pass's rows are stored; a failed re-read is tried again later.
		s.log.Warn("re-read for the balance chain", "account_id", acct.ID, "err", err)
	}
	st.failures, st.retryAt, st.failingSince = 0, time.Time{}, time.Time{}
	return res, nil
}

// fetched is one query read and ingested.
type fetched struct {
	q    openbanking.TransactionQuery
	list openbanking.TransactionList
	in   store.IngestResult
	// partial is the error of a fetch that stopped at its page bound after
	// reading (and storing) some rows.
	partial error
}

// fetch reads every page of q, holding slot while it does, and ingests the
// rows with the calls they took. The rows are put in time order (a bank's
// order is not guaranteed). The cursor moves to how far the bank's answer
// reached: q.To, or the bank's own clock when that is earlier (a bank
// behind the bot has not listed anything later), or the last row read when
// the fetch stopped at its page bound. Calls are counted even when the
// fetch fails.
func (s *syncer) fetch(ctx context.Context, sess *openbanking.Session, slot *callSlot, acct store.Account, q openbanking.TransactionQuery, notify store.NotifyFunc, res *SyncResult) (fetched, error) {
	q.MaxPages = s.maxPages
	q = windowAfterStatements(acct, q)
	if err := slot.acquire(ctx); err != nil {
		return fetched{q: q}, fmt.Errorf("sync %s: %w", acct.ID, err)
	}
	cctx, n := s.calls.track(ctx)
	list, err := sess.Transactions(cctx, q)
	slot.release()
	calls := int(n.Load())
	res.Calls += calls
	// The calls are paid for and the rows fetched: record them even when
	// the pass is being cancelled.
	wctx := context.WithoutCancel(ctx)
	f := fetched{q: q, list: list}
	// countAlone counts the calls when no Ingest does.
	countAlone := func() {
		if calls > 0 {
			if cerr := s.db.AddCalls(wctx, acct.ID, ledger.MonthOf(s.now().In(ledger.KST())), calls); cerr != nil {
				s.log.Warn("count calls", "account_id", acct.ID, "err", cerr)
			}
		}
	}
	if err != nil && !(errors.Is(err, openbanking.ErrPageLimit) && len(list.Rows) > 0) {
		countAlone()
		return f, s.fail(ctx, s.state(acct.ID), acct, err)
	}
	rows := slices.Clone(list.Rows)
	slices.SortStableFunc(rows, func(a, b openbanking.Transaction) int { return a.At.Compare(b.At) })
	through := q.To
	if bt := list.BankTime.Truncate(time.Second); !bt.IsZero() && bt.Before(through) && !bt.Before(q.From) {
		through = bt
	}
	if err != nil {
		f.partial = err
		through = rows[len(rows)-1].At
	}
	ds, ierr := s.dropFiled(wctx, acct, deposits(rows))
	var in store.IngestResult
	if ierr == nil {
		in, ierr = s.db.Ingest(wctx, acct.ID, ds, store.Cursor{Through: through}, store.IngestOptions{Notify: notify, Calls: calls, Batch: s.inFlight.Load() > 1})
	}
	if ierr != nil {
		// Nothing was stored, the calls' count neither: count them on
		// their own (which may fail the same way), and back off as after a
		// failed call, so that a database refusing writes does not turn
		// every scheduled pass into another paid call.
		countAlone()
		return f, s.fail(ctx, s.state(acct.ID), acct, fmt.Errorf("store the rows: %w", ierr))
	}
	f.in = in
	res.New = append(res.New, in.New...)
	return f, nil
}

// gapOf returns the gap a fetch shows: a break of the balance chain among
// the stored rows it covers, or a bank balance that disagrees with the
// latest stored row's when the fetch reached the bank's present (a bank
// ahead of the bot may hold later rows). nil when there is none.
func gapOf(f fetched) *store.Gap {
	if f.in.Gap != nil {
		return f.in.Gap
	}
	c, l := f.in.Cursor, f.list
	bt := l.BankTime.Truncate(time.Second)
	if c.Rows > 0 && l.BalanceKnown && !bt.IsZero() && !bt.After(f.q.To) && l.BalanceAmt != c.LastBalance {
		return &store.Gap{After: c.LastAt}
	}
	return nil
}

// checkChain uses what the bank gives for free to find rows the window
// missed. Every row carries the balance after it, and every answer the
// account's balance, so a missing row shows as a break of the chain (see
// gapOf). A new gap, an unclosed one every gapRecheck, and once a day
// (after rereadHour KST) the previous day are read again, from the start of
// the day of the gap; duplicates are dropped by the store, late rows are
// stored and announced. A gap that re-reading does not close is kept in the
// cursor, and after gapTell the treasurer is told once. The re-read's calls
// count like any other.
func (s *syncer) checkChain(ctx context.Context, sess *openbanking.Session, slot *callSlot, acct store.Account, q openbanking.TransactionQuery, f fetched, lastReread time.Time, notify store.NotifyFunc, res *SyncResult) error {
	kst := ledger.KST()
	now := s.now().In(kst)
	found, stored := gapOf(f), f.in.Cursor.Gap
	var from time.Time
	switch {
	case found != nil && stored == nil,
		stored != nil && now.Sub(stored.Checked) >= recheckAfter(stored):
		target := stored
		if target == nil || (found != nil && found.After.Before(target.After)) {
			target = found
		}
		from = dayStart(target.After).Add(-syncOverlap)
		if target.Before.IsZero() {
			// Only the balance disagrees: the missing row may be listed
			// with any earlier time; read the day before too.
			from = from.AddDate(0, 0, -1)
		}
	default:
		due, err := s.rereadDue(ctx, acct, now, lastReread)
		if err != nil || !due {
			return err
		}
		from = dayStart(now).AddDate(0, 0, -1)
		if _, err := s.db.RecordRun(ctx, rereadJob(acct.ID), now); err != nil {
			return err
		}
	}
	if earliest := q.To.AddDate(0, 0, -365).Add(time.Second); from.Before(earliest) {
		from = earliest
	}
	rf := f
	if from.Before(q.From) {
		// The pass's own window did not reach back that far.
		rq := q
		rq.From = from
		var err error
		if rf, err = s.fetch(ctx, sess, slot, acct, rq, notify, res); err != nil {
			return err
		}
	}
	after := gapOf(rf)
	if rf.partial != nil && after == nil {
		return rf.partial
	}
	if after == nil {
		if rf.in.Cursor.Gap != nil {
			return s.db.SetGap(context.WithoutCancel(ctx), acct.ID, nil)
		}
		return nil
	}
	g := store.Gap{After: after.After, Before: after.Before, Since: now, Checked: now}
	if stored != nil {
		g.Since, g.Told = stored.Since, stored.Told
	}
	var msgs []store.OutboxMessage
	if !g.Told && now.Sub(g.Since) >= gapTell {
		grp, err := s.db.Group(ctx, acct.GroupID)
		if err != nil {
			return err
		}
		if s.gapNote != nil {
			msgs = s.gapNote(grp, acct, g)
		}
		g.Told = true
		s.log.Warn("balance chain gap not filled by the bank; treasurer told", "account_id", acct.ID, "group_id", acct.GroupID, "after", g.After)
	}
	return s.db.SetGap(context.WithoutCancel(ctx), acct.ID, &g, msgs...)
}

// recheckAfter is how long after its last re-read an unclosed gap is read
// again: every gapRecheck, and once a day after the treasurer was told, so
// that a gap the bank never fills does not eat the month's calls.
func recheckAfter(g *store.Gap) time.Duration {
	if g.Told {
		return gapTell
	}
	return gapRecheck
}

// rereadJob names the daily re-read of an account in LastRun and RecordRun.
func rereadJob(accountID string) string { return "reread/" + accountID }

// rereadDue reports whether the daily re-read of the previous day is due:
// the first pass after rereadHour KST (last is when the re-read last ran),
// unless the month's calls are near KFTC's budget.
func (s *syncer) rereadDue(ctx context.Context, acct store.Account, now, last time.Time) (bool, error) {
	at := dayStart(now).Add(rereadHour * time.Hour)
	if now.Before(at) || !last.Before(at) {
		return false, nil
	}
	counts, err := s.db.CallCounts(ctx, acct.ID)
	if err != nil {
		return false, err
	}
	month := ledger.MonthOf(now)
	for _, c := range counts {
		if c.Month == month && c.Calls >= rereadBudget {
			return false, nil
		}
	}
	return true, nil
}

// dayStart returns the start of t's day in KST.
func dayStart(t time.Time) time.Time {
	t = t.In(ledger.KST())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, ledger.KST())
}

// query builds the pass's transaction-list query: by time, from the cursor
// or the latest stored row, whichever is earlier, minus the overlap (or,
// while no row is stored, from the group's first dues month but at most
// syncBackfill back) to now.
func (s *syncer) query(ctx context.Context, acct store.Account, cur store.Cursor, now time.Time) (openbanking.TransactionQuery, error) {
	kst := ledger.KST()
	to := now.In(kst).Truncate(time.Second)
	// The window follows the bank's data, not the bot's clock: it starts
	// before the latest stored row as well as before how far the bank was
	// read, so a row the bank lists late (or with a clock behind the
	// bot's) is still read. While no row is stored, every pass reads the
	// first sync's window again. A quiet account costs one page either way.
	from := cur.Through
	if cur.Rows > 0 && !cur.LastAt.IsZero() && cur.LastAt.Before(from) {
		from = cur.LastAt
	}
	from = from.Add(-syncOverlap)
	if cur.Through.IsZero() || cur.Rows == 0 {
		g, err := s.db.Group(ctx, acct.GroupID)
		if err != nil {
			return openbanking.TransactionQuery{}, err
		}
		from = g.Dues.Start.Start(kst)
		if earliest := to.Add(-syncBackfill); from.Before(earliest) || g.Dues.Start.IsZero() {
			from = earliest
		}
	}
	// KFTC answers at most 365 days per query; after a longer outage the
	// older part is out of reach anyway.
	if earliest := to.AddDate(0, 0, -365).Add(time.Second); from.Before(earliest) {
		from = earliest
	}
	if from.After(to) {
		from = to
	}
	return openbanking.TransactionQuery{FintechUseNum: acct.FintechUseNum, Type: openbanking.InquiryAll,
		From: from.In(kst), To: to, ByTime: true}, nil
}

// fail sorts a failed pass: a broken link is marked for relinking (the
// treasurer is told once), a maintenance answer is left for the next
// scheduled poll, anything else backs off.
func (s *syncer) fail(ctx context.Context, st *accountState, acct store.Account, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("sync %s: %w", acct.ID, err)
	case openbanking.IsMaintenance(err):
		return fmt.Errorf("sync %s: %w: %w", acct.ID, errMaintenance, err)
	}
	switch openbanking.Classify(err) {
	case openbanking.ClassRelink:
		reason := "refused"
		if e, ok := errors.AsType[*openbanking.Error](err); ok && e.RspCode != "" {
			reason = e.RspCode
		}
		return s.markRelink(ctx, acct, reason, err)
	case openbanking.ClassPermanent:
		if e, ok := errors.AsType[*openbanking.Error](err); ok && e.RspCode == openbanking.CodeNotOwned {
			return s.markRelink(ctx, acct, e.RspCode, err)
		}
	}
	if st.failures == 0 {
		st.failingSince = s.now()
	}
	st.failures++
	if st.failures == stuckAfter {
		s.tellStuck(ctx, acct, st.failingSince, st.failures)
	}
	wait := min(backoffBase<<min(st.failures-1, 10), backoffMax)
	wait = wait/2 + rand.N(wait/2+1) // jitter: between half and all of it
	st.retryAt = s.now().Add(wait)
	return fmt.Errorf("sync %s: %w (retry after %s)", acct.ID, err, wait.Round(time.Second))
}

// tellStuck queues the treasurer's notice that the account's passes have
// failed failures times in a row since since. Its key names the streak, so
// it is queued once; a failure to queue it is only logged.
func (s *syncer) tellStuck(ctx context.Context, acct store.Account, since time.Time, failures int) {
	if s.stuckNote == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	g, err := s.db.Group(ctx, acct.GroupID)
	if err == nil {
		_, err = s.db.Enqueue(ctx, s.stuckNote(g, acct, since, failures)...)
	}
	if err != nil {
		s.log.Warn("queue the sync failure notice", "account_id", acct.ID, "err", err)
		return
	}
	s.log.Warn("sync keeps failing; treasurer told", "account_id", acct.ID, "group_id", acct.GroupID, "failures", failures)
}

func (s *syncer) markRelink(ctx context.Context, acct store.Account, reason string, cause error) error {
	g, gerr := s.db.Group(ctx, acct.GroupID)
	if gerr != nil {
		return fmt.Errorf("sync %s: %w (and %w)", acct.ID, cause, gerr)
	}
	var msgs []store.OutboxMessage
	if s.relink != nil {
		msgs = s.relink(g, acct, reason)
	}
	first, err := s.db.MarkRelink(ctx, acct.ID, reason, msgs...)
	if err != nil {
		return fmt.Errorf("sync %s: %w (and %w)", acct.ID, cause, err)
	}
	if first {
		s.log.Warn("bank link broken; treasurer told", "account_id", acct.ID, "group_id", acct.GroupID, "reason", reason)
	}
	s.forget(acct.TokenName)
	return fmt.Errorf("sync %s: %w: %w", acct.ID, errNeedsRelink, cause)
}

// storedPair identifies a token pair as stored: its name, the stamp of its
// stored bytes (see store.PollState) and its expiry.
type storedPair struct {
	name    string
	stamp   uint64
	expires time.Time
}

// session returns the session of the account's token, given the stored
// pair as the pass read it (ps). Sessions are cached per token, so that
// one user's accounts share a refresh:
//   - a stored pair issued after the cached session's (the treasurer linked
//     the account again) replaces the session;
//   - a cached pair newer than the stored one (a refresh whose save failed:
//     the bank has already retired the stored refresh token) is saved again
//     before the pass goes on, and the pass fails if it cannot be.
//
// A stored pair unchanged since the last pass (the same stored bytes),
// which the session still holds, is not decrypted again. The syncer's lock
// is not held while waiting on a session (which waits for that user's
// refresh in flight), so other users' passes go on.
func (s *syncer) session(ctx context.Context, st *accountState, acct store.Account, ps store.PollState) (*openbanking.Session, error) {
	name := acct.TokenName
	if name == "" {
		return nil, &openbanking.Error{Op: "load token", RspCode: openbanking.CodeTokenRejected, RspMessage: "no token linked"}
	}
	pair, tokenErr := ps.Token, ps.TokenErr
	if ps.TokenSame {
		s.mu.Lock()
		cached := s.sessions[name]
		s.mu.Unlock()
		seen := st.token
		if cached != nil && seen.name == name && seen.stamp == ps.TokenStamp && cached.Token().ExpiresAt.Equal(seen.expires) {
			return cached, nil
		}
		// The session refreshed or was dropped since: compare with the
		// stored pair.
		pair, tokenErr = s.db.Token(ctx, name)
		ps.TokenStamp = 0
	}
	st.token = storedPair{}
	if errors.Is(tokenErr, store.ErrNotFound) {
		return nil, &openbanking.Error{Op: "load token", RspCode: openbanking.CodeTokenRejected, RspMessage: "no token stored"}
	}
	if tokenErr != nil {
		return nil, tokenErr
	}
	sess, err := s.sessionFor(ctx, name, pair)
	if err == nil && ps.TokenStamp != 0 && sess.Token().ExpiresAt.Equal(pair.ExpiresAt) {
		// The session holds the stored pair: the account's next pass need
		// not decrypt it while it is unchanged.
		st.token = storedPair{name: name, stamp: ps.TokenStamp, expires: pair.ExpiresAt}
	}
	return sess, err
}

// sessionFor returns the cached session of token name, or a new one, given
// the stored pair st.
func (s *syncer) sessionFor(ctx context.Context, name string, st store.Token) (*openbanking.Session, error) {
	s.mu.Lock()
	cached := s.sessions[name]
	s.mu.Unlock()
	if cached != nil {
		cur := cached.Token()
		switch {
		case cur.ExpiresAt.After(st.ExpiresAt):
			if err := s.db.PutToken(context.WithoutCancel(ctx), name, toStoreToken(cur)); err != nil {
				return nil, fmt.Errorf("save the refreshed token again: %w", err)
			}
			return cached, nil
		case !st.ExpiresAt.After(cur.ExpiresAt):
			return cached, nil
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := s.sessions[name]; now != cached {
		return now, nil // another pass replaced it meanwhile
	}
	sess := s.client.NewSession(fromStoreToken(st), tokenSaver{db: s.db, name: name})
	s.sessions[name] = sess
	return sess, nil
}

// callSlot is a pass's hold on one of the engine's slots for bank calls
// (Engine.poll): maxConcurrentPolls passes at once may call the bank. A nil
// *callSlot (Sync) holds nothing and waits for nothing.
type callSlot struct {
	slots chan struct{}
	held  bool
}

// acquire waits for a slot, unless one is held already.
func (c *callSlot) acquire(ctx context.Context) error {
	if c == nil || c.held {
		return nil
	}
	select {
	case c.slots <- struct{}{}:
		c.held = true
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release gives the slot back, if one is held.
func (c *callSlot) release() {
	if c == nil || !c.held {
		return
	}
	<-c.slots
	c.held = false
}

// tokenSaver persists a session's refreshed pairs in the store, encrypted.
type tokenSaver struct {
	db   *store.DB
	name string
}

var _ openbanking.TokenSaver = tokenSaver{}

// SaveToken implements openbanking.TokenSaver. It does not use ctx's
// cancellation: the old refresh token is already dead, so the new pair must
// be written even when the pass is being cancelled.
func (t tokenSaver) SaveToken(ctx context.Context, tok openbanking.Token) error {
	return t.db.PutToken(context.WithoutCancel(ctx), t.name, toStoreToken(tok))
}

func toStoreToken(t openbanking.Token) store.Token {
	return store.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType, Scope: t.Scope,
		UserSeqNo: t.UserSeqNo, ExpiresAt: t.ExpiresAt, RefreshExpiresAt: t.RefreshExpiresAt, ClientUseCode: t.ClientUseCode}
}

func fromStoreToken(t store.Token) openbanking.Token {
	return openbanking.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType, Scope: t.Scope,
		UserSeqNo: t.UserSeqNo, ExpiresAt: t.ExpiresAt, RefreshExpiresAt: t.RefreshExpiresAt, ClientUseCode: t.ClientUseCode}
}

// CallCounter counts transaction-list calls at the HTTP transport, so every
// attempt the client makes (retries included) is counted, in total and for
// the pass whose context carries a tracker.
type CallCounter struct {
	next  http.RoundTripper
	total atomic.Int64
}

type callTrackerKey struct{}

// track returns a context whose transaction-list calls are also counted in
// the returned counter.
func (c *CallCounter) track(ctx context.Context) (context.Context, *atomic.Int64) {
	n := new(atomic.Int64)
	return context.WithValue(ctx, callTrackerKey{}, n), n
}

// RoundTrip implements http.RoundTripper.
func (c *CallCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, "/account/transaction_list/") {
		c.total.Add(1)
		if n, ok := r.Context().Value(callTrackerKey{}).(*atomic.Int64); ok {
			n.Add(1)
		}
	}
	return c.next.RoundTrip(r)
}

// bankTransactions converts the client's rows to the ledger's.
func bankTransactions(rows []openbanking.Transaction) []ledger.BankTransaction {
	out := make([]ledger.BankTransaction, 0, len(rows))
	for _, t := range rows {
		inout := "출금"
		if t.IsDeposit() {
			inout = "입금"
		}
		out = append(out, ledger.BankTransaction{
			Date: t.Date, Time: t.Time, InoutType: inout, PrintContent: t.PrintContent,
			Amount: abs(t.Amount), AfterBalance: t.AfterBalance, At: t.At,
		})
	}
	return out
}

// deposits converts the client's rows to the store's input.
func deposits(rows []openbanking.Transaction) []ledger.Deposit {
	out := make([]ledger.Deposit, 0, len(rows))
	for _, t := range bankTransactions(rows) {
		out = append(out, t.Deposit(""))
	}
	return out
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
