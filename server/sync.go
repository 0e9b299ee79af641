package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
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
)

// Sync outcomes that are not failures of the pass.
var (
	errMaintenance = errors.New("bank maintenance window")
	errBackoff     = errors.New("backing off after failures")
	errNeedsRelink = errors.New("account needs a new link")
)

// SyncResult is what one sync pass did.
type SyncResult struct {
	New        []store.Ingested
	Duplicates int
	// Calls is the number of transaction-list calls made.
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
	mu       sync.Mutex // held for a whole pass
	failures int
	retryAt  time.Time
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
	st := s.state(accountID)
	st.mu.Lock()
	defer st.mu.Unlock()
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	var res SyncResult
	acct, err := s.db.Account(ctx, accountID)
	if err != nil {
		return res, fmt.Errorf("sync %s: %w", accountID, err)
	}
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
	sess, err := s.session(ctx, acct)
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
	cur, err := s.db.Cursor(ctx, acct.ID)
	if err != nil {
		return res, fmt.Errorf("sync %s: %w", accountID, err)
	}
	q, err := s.query(ctx, acct, cur, now)
	if err != nil {
		return res, fmt.Errorf("sync %s: %w", accountID, err)
	}
	cctx, n := s.calls.track(ctx)
	list, err := sess.Transactions(cctx, q)
	res.Calls = int(n.Load())
	// The calls are paid for and the rows fetched: record them even when
	// the pass is being cancelled.
	wctx := context.WithoutCancel(ctx)
	if err != nil {
		if res.Calls > 0 {
			if cerr := s.db.AddCalls(wctx, acct.ID, ledger.MonthOf(now.In(ledger.KST())), res.Calls); cerr != nil {
				s.log.Warn("count calls", "account_id", acct.ID, "err", cerr)
			}
		}
		return res, s.fail(ctx, st, acct, err)
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
	in, err := s.db.Ingest(wctx, acct.ID, deposits(list.Rows), store.Cursor{Through: q.To}, store.IngestOptions{Notify: notify, Calls: res.Calls, Batch: s.inFlight.Load() > 1})
	if err != nil {
		return res, fmt.Errorf("sync %s: %w", accountID, err)
	}
	res.New, res.Duplicates = in.New, in.Duplicates
	st.failures, st.retryAt = 0, time.Time{}
	return res, nil
}

// query builds the pass's transaction-list query: by time, from the cursor
// minus the overlap (or, for a first sync, from the group's first dues month
// but at most syncBackfill back) to now.
func (s *syncer) query(ctx context.Context, acct store.Account, cur store.Cursor, now time.Time) (openbanking.TransactionQuery, error) {
	kst := ledger.KST()
	to := now.In(kst).Truncate(time.Second)
	from := cur.Through.Add(-syncOverlap)
	if cur.Through.IsZero() {
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
	st.failures++
	wait := min(backoffBase<<min(st.failures-1, 10), backoffMax)
	wait = wait/2 + rand.N(wait/2+1) // jitter: between half and all of it
	st.retryAt = s.now().Add(wait)
	return fmt.Errorf("sync %s: %w (retry after %s)", acct.ID, err, wait.Round(time.Second))
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

// session returns the session of the account's token. Sessions are cached
// per token, so that one user's accounts share a refresh:
//   - a stored pair issued after the cached session's (the treasurer linked
//     the account again) replaces the session;
//   - a cached pair newer than the stored one (a refresh whose save failed:
//     the bank has already retired the stored refresh token) is saved again
//     before the pass goes on, and the pass fails if it cannot be.
//
// The syncer's lock is not held while waiting on a session (which waits
// for that user's refresh in flight), so other users' passes go on.
func (s *syncer) session(ctx context.Context, acct store.Account) (*openbanking.Session, error) {
	if acct.TokenName == "" {
		return nil, &openbanking.Error{Op: "load token", RspCode: openbanking.CodeTokenRejected, RspMessage: "no token linked"}
	}
	st, err := s.db.Token(ctx, acct.TokenName)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &openbanking.Error{Op: "load token", RspCode: openbanking.CodeTokenRejected, RspMessage: "no token stored"}
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	cached := s.sessions[acct.TokenName]
	s.mu.Unlock()
	if cached != nil {
		cur := cached.Token()
		switch {
		case cur.ExpiresAt.After(st.ExpiresAt):
			if err := s.db.PutToken(context.WithoutCancel(ctx), acct.TokenName, toStoreToken(cur)); err != nil {
				return nil, fmt.Errorf("save the refreshed token again: %w", err)
			}
			return cached, nil
		case !st.ExpiresAt.After(cur.ExpiresAt):
			return cached, nil
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := s.sessions[acct.TokenName]; now != cached {
		return now, nil // another pass replaced it meanwhile
	}
	sess := s.client.NewSession(fromStoreToken(st), tokenSaver{db: s.db, name: acct.TokenName})
	s.sessions[acct.TokenName] = sess
	return sess, nil
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
